// Server: the civetweb-backed HTTP listener. Reads each request (bounded by max_body_bytes,
// forms parsed with civetweb's form handler), hands it to the Router and writes the answer.
// Owns a worker pool of `workers` threads; stop() finishes in-flight requests first.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "http/router.h"
#include "observability/logger.h"

struct mg_context;
struct mg_connection;

namespace faceid::http {

struct ServerOptions {
  std::string host = "0.0.0.0";
  int port = 8000;  // 0: any free port (see Server::port())
  int workers = 8;
  long long max_body_bytes = 10LL << 20;
  int request_timeout_ms = 30000;
  int keep_alive_timeout_ms = 5000;
  int drain_timeout_ms = 30000;
  std::vector<std::string> trusted_proxies;  // peers whose X-Forwarded-For is believed
};

class Server {
 public:
  Server(ServerOptions options, const Router& router, observability::LoggerPtr logger);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  Status start();
  int port() const { return bound_port_; }
  // Drains, then stops: new requests get 503 service_unavailable (Connection: close) while
  // in-flight ones finish (up to drain_timeout), then civetweb stops and joins its workers.
  // Idempotent. (civetweb's own mg_stop drops the responses of requests still running.)
  void stop();

 private:
  static int on_request(mg_connection* conn, void* self);
  static int on_http_error(mg_connection* conn, int status, const char* message);
  Request read_request(mg_connection* conn) const;
  void read_body(mg_connection* conn, Request& req) const;

  ServerOptions options_;
  const Router& router_;
  observability::LoggerPtr logger_;
  mg_context* ctx_ = nullptr;
  int bound_port_ = 0;
  std::atomic<bool> draining_{false};
  std::atomic<int> in_flight_{0};
};

// The address a request really came from: the peer, or, when the peer is a trusted proxy,
// the right-most untrusted address of X-Forwarded-For. "*" trusts every peer.
std::string resolve_client_ip(const std::string& peer, const std::string& forwarded_for,
                              const std::vector<std::string>& trusted_proxies);

}  // namespace faceid::http
