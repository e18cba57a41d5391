// Server: the event-driven HTTP/1.1 listener (Boost.Asio sockets, Boost.Beast's parser behind
// a strict byte-level gate). A few I/O threads own every socket and enforce the deadlines (head,
// minimum body rate, idle keep-alive, writes) and the connection caps; handlers run on a
// bounded WorkPool sized to the cores, and a full queue answers 503 with Retry-After at once.
// Cheap operations routes (inline_paths) are answered on the I/O threads without the queue.
// stop() finishes in-flight requests first. Asio stays out of this header.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "http/client_ip.h"
#include "http/router.h"
#include "observability/logger.h"

namespace faceid::observability {
class Metrics;
}

namespace faceid::http {

struct ServerOptions {
  std::string host = "0.0.0.0";
  int port = 8000;  // 0: any free port (see Server::port())
  int workers = 8;  // handler threads (face work is CPU-bound: size to the cores)
  int io_threads = 2;
  std::size_t queue_capacity = 0;  // waiting handler jobs; 0: 4 per worker
  long long max_body_bytes = 10LL << 20;
  long long max_json_body_bytes = kMaxJsonBodyBytes;  // application/json and +json bodies
  int header_timeout_ms = 10000;                      // the whole request head, from the first byte
  int body_grace_ms = 1000;                           // then the body must average min_body_rate
  long long min_body_rate = 50 << 10;                 // bytes per second
  int keep_alive_timeout_ms = 5000;  // idle keep-alive; closed at once when sockets are scarce
  int write_timeout_ms = 30000;      // a whole response
  // A response write that makes no progress this long is abandoned (the socket reset, so the
  // kernel frees what it still held): a client that stops reading pins little for long.
  int write_stall_timeout_ms = 5000;
  int send_buffer_bytes = 256 << 10;  // SO_SNDBUF: kernel memory a stalled reader can pin
  int drain_timeout_ms = 30000;
  std::size_t max_connections = 4096;
  std::size_t max_connections_per_ip = 256;
  std::size_t max_connections_per_network = 1024;  // per /24 (IPv4) or /64 (IPv6)
  std::vector<std::string> trusted_proxies;        // peers whose X-Forwarded-For is believed
  std::vector<std::string> inline_paths = {"/health", "/ready", "/metrics"};
  // Asked (on the I/O thread: keep it cheap) before a "100 Continue" is sent, with the request
  // head: a response here is the final answer and the body is never invited (no such route, no
  // credentials). Null: always continue.
  std::function<std::optional<Response>(Request&)> before_continue;
  // Counts the responses the server makes itself (parser errors, deadlines, full queue, caps)
  // as route "refused"; routed requests are counted by the metrics middleware.
  observability::Metrics* metrics = nullptr;
};

class Server {
 public:
  Server(ServerOptions options, const Router& router, observability::LoggerPtr logger);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  Status start();
  int port() const;
  // Drains, then stops: the listener closes, idle connections close, requests whose head had
  // arrived are read, handled and answered (Connection: close), heads still arriving get 503,
  // all up to drain_timeout; then the I/O threads and the pool are joined. Idempotent.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faceid::http
