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
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "http/connection_limits.h"
#include "http/router.h"
#include "http/server.h"
#include "http/work_pool.h"

namespace faceid::http {

class Connection;

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

  // Live connections, so stop() can close the idle ones. Guarded by mutex.
  std::mutex mutex;
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> live;
  std::uint64_t next_id = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(boost::asio::ip::tcp::socket socket, std::string peer_ip, ServerContext& ctx);
  ~Connection();

  void start();
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
  void respond(Response response, bool close);
  void count_refusal(int status);
  void refuse(int status, const std::string& code, const std::string& message);
  void on_written(const boost::system::error_code& ec);
  bool send_continue();
  void linger_close();
  void close();
  void arm(Clock::time_point deadline);
  void disarm();
  void on_deadline();
  void arm_body_deadline();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  std::string peer_ip_;
  ServerContext& ctx_;
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
  bool expect_continue_ = false;
  bool head_request_ = false;
  bool keep_alive_ = false;
  bool close_after_write_ = false;
  std::string correlation_id_;  // of the current request, for server-made responses
  std::string method_label_;    // a known method once the head parsed, for refusal metrics
  std::string out_;             // response bytes being written
};

}  // namespace faceid::http
