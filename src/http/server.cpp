// civetweb glue. civetweb owns sockets, keep-alive and the thread pool; everything above the
// byte level happens in Router and middleware.
#include "http/server.h"

#include <civetweb.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include "http/correlation_id.h"
#include "http/error_response.h"

namespace faceid::http {
namespace {

// A liveness challenge response carries up to 40 "frames" parts plus the account fields.
constexpr int kMaxFormFields = 64;

bool trusted(const std::string& ip, const std::vector<std::string>& proxies) {
  return std::any_of(proxies.begin(), proxies.end(),
                     [&](const std::string& p) { return p == "*" || p == ip; });
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Collects form fields into the Request, stopping once the body limit is crossed.
struct FormCollector {
  Request* req;
  long long limit;
  long long total = 0;
  bool too_large = false;
  bool too_many = false;
};

int on_field_found(const char* key, const char* filename, char* /*path*/, size_t /*len*/,
                   void* user) {
  auto* c = static_cast<FormCollector*>(user);
  if (static_cast<int>(c->req->form.size()) >= kMaxFormFields) {
    c->too_many = true;
    return MG_FORM_FIELD_STORAGE_ABORT;
  }
  c->req->form.push_back(FormField{key ? key : "", filename ? filename : "", ""});
  return MG_FORM_FIELD_STORAGE_GET;
}

int on_field_get(const char* /*key*/, const char* value, size_t len, void* user) {
  auto* c = static_cast<FormCollector*>(user);
  c->total += static_cast<long long>(len);
  if (c->total > c->limit) {
    c->too_large = true;
    return MG_FORM_FIELD_HANDLE_ABORT;
  }
  if (len > 0) c->req->form.back().value.append(value, len);
  return MG_FORM_FIELD_HANDLE_GET;
}

int on_field_store(const char*, long long, void*) { return MG_FORM_FIELD_HANDLE_NEXT; }

bool is_form(const std::string& content_type) {
  std::string ct = content_type;
  std::transform(ct.begin(), ct.end(), ct.begin(), [](unsigned char c) { return std::tolower(c); });
  return ct.rfind("multipart/form-data", 0) == 0 ||
         ct.rfind("application/x-www-form-urlencoded", 0) == 0;
}

void write_response(mg_connection* conn, const Request& req, const Response& res) {
  mg_response_header_start(conn, res.status);
  if (!res.content_type.empty()) {
    mg_response_header_add(conn, "Content-Type", res.content_type.c_str(), -1);
  }
  std::string length = std::to_string(res.body.size());
  mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
  for (const auto& [k, v] : res.headers) mg_response_header_add(conn, k.c_str(), v.c_str(), -1);
  mg_response_header_send(conn);
  if (req.method != "HEAD" && !res.body.empty()) mg_write(conn, res.body.data(), res.body.size());
}

}  // namespace

std::string resolve_client_ip(const std::string& peer, const std::string& forwarded_for,
                              const std::vector<std::string>& trusted_proxies) {
  if (forwarded_for.empty() || !trusted(peer, trusted_proxies)) return peer;
  std::vector<std::string> hops;
  std::stringstream ss(forwarded_for);
  std::string hop;
  while (std::getline(ss, hop, ',')) hops.push_back(trim(hop));
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (it->empty()) continue;
    if (!trusted(*it, trusted_proxies) || std::next(it) == hops.rend()) return *it;
  }
  return peer;
}

Server::Server(ServerOptions options, const Router& router, observability::LoggerPtr logger)
    : options_(std::move(options)), router_(router), logger_(std::move(logger)) {}

Server::~Server() { stop(); }

Status Server::start() {
  mg_init_library(0);
  std::string host = options_.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";  // IPv6 literal
  std::string ports = host + ":" + std::to_string(options_.port);
  std::string threads = std::to_string(options_.workers);
  std::string timeout = std::to_string(options_.request_timeout_ms);
  std::string keep_alive = std::to_string(options_.keep_alive_timeout_ms);
  const char* opts[] = {"listening_ports", ports.c_str(), "num_threads", threads.c_str(),
                        "enable_keep_alive", "yes", "keep_alive_timeout_ms", keep_alive.c_str(),
                        "request_timeout_ms", timeout.c_str(), "tcp_nodelay", "1", "decode_url",
                        "yes",
                        // CORS is our middleware's job; civetweb's own would answer
                        // preflights with "*" before our handler runs.
                        "access_control_allow_origin", "", nullptr};
  mg_callbacks callbacks{};
  callbacks.http_error = &Server::on_http_error;
  ctx_ = mg_start(&callbacks, this, opts);
  if (ctx_ == nullptr) {
    return make_error("server_start_failed", "cannot listen on " + ports);
  }
  mg_set_request_handler(ctx_, "/", &Server::on_request, this);
  mg_server_port sp[4];
  int n = mg_get_server_ports(ctx_, 4, sp);
  bound_port_ = n > 0 ? sp[0].port : options_.port;
  return {};
}

void Server::stop() {
  if (ctx_ == nullptr) return;
  draining_ = true;
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.drain_timeout_ms);
  while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  mg_stop(ctx_);  // closes the listener and idle connections, joins the workers
  ctx_ = nullptr;
}

Request Server::read_request(mg_connection* conn) const {
  const mg_request_info* ri = mg_get_request_info(conn);
  Request req;
  req.method = ri->request_method ? ri->request_method : "";
  req.path = ri->local_uri ? ri->local_uri : "/";
  req.query = ri->query_string ? ri->query_string : "";
  for (int i = 0; i < ri->num_headers; ++i) {
    std::string key = ri->http_headers[i].name ? ri->http_headers[i].name : "";
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    req.headers[key] = ri->http_headers[i].value ? ri->http_headers[i].value : "";
  }
  req.client_ip =
      resolve_client_ip(ri->remote_addr, req.header("x-forwarded-for"), options_.trusted_proxies);
  read_body(conn, req);
  return req;
}

void Server::read_body(mg_connection* conn, Request& req) const {
  const mg_request_info* ri = mg_get_request_info(conn);
  const long long limit = options_.max_body_bytes;
  if (ri->content_length > limit) {
    req.body_error = "too_large";  // refuse before reading a byte
    mg_disable_connection_keep_alive(conn);
    return;
  }
  bool has_body = ri->content_length > 0 || !req.header("transfer-encoding").empty();
  if (!has_body) return;
  if (is_form(req.header("content-type"))) {
    FormCollector collector{&req, limit};
    mg_form_data_handler fdh{&on_field_found, &on_field_get, &on_field_store, &collector};
    int handled = mg_handle_form_request(conn, &fdh);
    if (collector.too_large) {
      req.body_error = "too_large";
      req.form.clear();
      mg_disable_connection_keep_alive(conn);
    } else if (handled < 0 || collector.too_many) {
      req.body_error = "invalid_form";
      req.form.clear();
      mg_disable_connection_keep_alive(conn);
    }
    return;
  }
  char buf[16384];
  while (true) {
    int n = mg_read(conn, buf, sizeof(buf));
    if (n <= 0) break;
    if (static_cast<long long>(req.body.size()) + n > limit) {
      req.body_error = "too_large";
      req.body.clear();
      mg_disable_connection_keep_alive(conn);
      break;
    }
    req.body.append(buf, static_cast<std::size_t>(n));
  }
}

int Server::on_request(mg_connection* conn, void* self_ptr) {
  auto* self = static_cast<Server*>(self_ptr);
  self->in_flight_.fetch_add(1);
  Response res;
  Request req;
  if (self->draining_.load()) {
    req.method = "GET";
    res = error_response(503, "service_unavailable", "Server is shutting down", {}, new_uuid());
    mg_disable_connection_keep_alive(conn);
  } else {
    req = self->read_request(conn);
    res = self->router_.handle(req);
  }
  write_response(conn, req, res);
  self->in_flight_.fetch_sub(1);
  return res.status;
}

int Server::on_http_error(mg_connection* conn, int status, const char* message) {
  // Errors civetweb raises itself (malformed request line, oversized headers): JSON too.
  Request req;
  req.method = "GET";
  Response res = error_response(status, status == 413 ? "payload_too_large" : "bad_request",
                                message && *message ? "Malformed request" : status_text(status), {},
                                new_uuid());
  mg_disable_connection_keep_alive(conn);
  write_response(conn, req, res);
  return 0;
}

}  // namespace faceid::http
