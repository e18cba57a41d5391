// CommitCuttingProxy: a TCP proxy between a PostgreSQL client and server that, once armed,
// cuts the connection of the next COMMIT it sees: before the server gets it (the server sees
// the connection close and rolls back), after the server has answered it (it committed), or
// before it while keeping the server's side open and silent, as a network partition would
// (the transaction stays open on the server). It can also cut right after the server ran one
// named prepared statement (its reply withheld): outside a transaction that statement has
// committed, inside one it dies with the connection. The client sees its connection drop each time.
// It makes the "in-doubt commit" of a real server deterministic for tests. Clients must connect
// with sslmode=disable (the proxy reads the protocol's messages). Thread-safe; stops in the
// destructor.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace faceid::testing {

class CommitCuttingProxy {
 public:
  enum class Cut { kNone, kBeforeCommit, kAfterCommit, kStallBeforeCommit, kAfterStatement };

  // Listens on a free loopback port and forwards every connection to 127.0.0.1:server_port.
  explicit CommitCuttingProxy(int server_port);
  ~CommitCuttingProxy();
  CommitCuttingProxy(const CommitCuttingProxy&) = delete;
  CommitCuttingProxy& operator=(const CommitCuttingProxy&) = delete;

  int port() const { return port_; }
  // The next COMMIT (simple query protocol, as libpqxx sends it) is cut this way; after
  // that, the proxy forwards everything again.
  void arm(Cut cut) { armed_ = cut; }
  // The next execution of prepared statement `name` runs on the server; then the connection is
  // cut before its reply reaches the client. Call before any other arm().
  void arm_after_statement(const std::string& name) {
    statement_ = name;
    armed_ = Cut::kAfterStatement;
  }
  // How many COMMITs were cut so far.
  int cuts() const { return cuts_; }

 private:
  void accept_loop();
  void pump(int client, int server);

  int listener_ = -1;
  int port_ = 0;
  const int server_port_;
  std::atomic<Cut> armed_{Cut::kNone};
  std::string statement_;  // for kAfterStatement; written before armed_ is set
  std::atomic<int> cuts_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;                   // guards pumps_
  std::vector<std::thread> pumps_;  // one per proxied connection
  std::thread acceptor_;
};

}  // namespace faceid::testing
