// Connection: one client socket's life on the I/O threads (internal to the server). A state
// machine - idle, head, body, handling, writing, closing - with one deadline timer whose
// expiry depends on the state, so no client can hold a socket longer than its deadlines allow.
// All of a connection's handlers run on its strand; handler work hops to the WorkPool and back.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "http/connection_limits.h"
#include "http/router.h"
#include "http/server.h"
#include "http/work_pool.h"

namespace faceid::http {

class Connection;

// What the acceptor may read of a connection from its own thread, to choose one to evict.
struct ConnectionTicket {
  ConnectionTicket(std::string ip, std::string net)
      : peer_ip(std::move(ip)), network(std::move(net)) {}
  const std::string peer_ip;
  const std::string network;
  // No complete request head yet (a new connection, or idle between requests): closing it
  // loses no request.
  std::atomic<bool> awaiting_head{true};
  // The connection's slot in ConnectionLimits; whoever clears this releases it (exactly once).
  std::atomic<bool> holds_slot{true};
  std::weak_ptr<Connection> connection;
};

// What every connection shares; owned by the server, outlives every connection.
struct ServerContext {
  ServerContext(const ServerOptions& o, const Router& r, observability::LoggerPtr l, WorkPool& p,
                ConnectionLimits& c)
      : options(o), router(r), logger(std::move(l)), pool(p), limits(c) {}

  const ServerOptions& options;
  const Router& router;
  observability::LoggerPtr logger;
  WorkPool& pool;
  ConnectionLimits& limits;
  std::atomic<bool> draining{false};

  // Live connections by age (ids only grow), so stop() can close the idle ones and the
  // acceptor can evict the oldest one still awaiting its head. Guarded by mutex.
  std::mutex mutex;
  std::map<std::uint64_t, std::shared_ptr<ConnectionTicket>> live;
  std::uint64_t next_id = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(boost::asio::ip::tcp::socket socket, std::string peer_ip, ServerContext& ctx);
  ~Connection();

  void start();
  // Closes the connection if it is still awaiting a request head (the server needs its slot).
  void evict();
  // Called (on the strand) when the server starts draining: closes the connection unless a
  // request on it has started arriving.
  void drain();
  boost::asio::ip::tcp::socket::executor_type executor() { return socket_.get_executor(); }

 private:
  enum class Phase { kIdle, kHead, kBody, kHandling, kWriting, kClosing, kClosed };
  using Clock = std::chrono::steady_clock;
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  void read_more();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void process_input();
  bool take_head();
  bool take_body();
  void dispatch();
  Request request_head(std::string& error);
  void answer_too_large();
  void respond(const Response& response, bool close);
  void count_refusal(int status);
  void refuse(int status, const std::string& code, const std::string& message);
  void write_more();
  void on_write_some(const boost::system::error_code& ec, std::size_t n);
  void on_written(const boost::system::error_code& ec);
  bool send_continue();
  void linger_close();
  void close();
  void arm(Clock::time_point deadline);
  void disarm();
  void on_deadline();
  void arm_body_deadline();
  void set_phase(Phase phase);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  std::string peer_ip_;
  ServerContext& ctx_;
  std::shared_ptr<ConnectionTicket> ticket_;
  std::uint64_t id_ = 0;

  Phase phase_ = Phase::kIdle;
  std::uint64_t timer_generation_ = 0;
  bool reading_ = false;
  bool first_request_ = true;
  std::array<char, 16384> chunk_{};
  std::string in_;  // received, not yet parsed
  std::optional<Parser> parser_;
  Clock::time_point body_start_;
  long long body_bytes_ = 0;
  // Since when the parser has consumed nothing of the buffered body bytes (chunk line, trailer).
  std::optional<Clock::time_point> stalled_since_;
  std::size_t head_fields_ = 0;  // header fields of the head: more at the end are trailers
  bool expect_continue_ = false;
  bool head_request_ = false;
  bool keep_alive_ = false;
  bool close_after_write_ = false;
  std::string correlation_id_;  // of the current request, for server-made responses
  std::string method_label_;    // a known method once the head parsed, for refusal metrics
  std::string out_;             // response bytes being written
  std::size_t out_written_ = 0;
  Clock::time_point write_deadline_;  // the whole response; stalls end it sooner
};

}  // namespace faceid::http
