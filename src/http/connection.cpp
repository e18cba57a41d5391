// The connection state machine. Every member function runs on the connection's strand, so
// the state needs no lock; the only cross-thread hop is handler work on the WorkPool, which
// posts its Response back to the strand.
#include "http/connection.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/beast/http/error.hpp>
#include <iterator>

#include "http/correlation_id.h"
#include "http/form_parser.h"
#include "http/header_block.h"
#include "http/wire_response.h"
#include "observability/metrics.h"

namespace faceid::http {
namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using tcp = net::ip::tcp;

constexpr std::size_t kMaxHeadBytes = std::size_t{16} << 10;
// Bytes of a body the parser may hold back unconsumed: a chunk-size line with its extensions,
// or the last chunk's trailer section. Body bytes themselves are consumed as they come, so only
// an endless line (or an attack) reaches this.
constexpr std::size_t kMaxPendingBodyBytes = std::size_t{16} << 10;
// After a final response with Connection: close, unread request bytes are drained for a
// moment so the kernel does not answer them with a reset that destroys our response.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes a path ("+" stays "+"); false for an encoded NUL.
bool decode_path(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 &&
        hex_value(in[i + 2]) >= 0) {
      char c = static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
      if (c == '\0') return false;
      out += c;
      i += 2;
    } else {
      out += in[i];
    }
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// application/json or any +json media type.
bool is_json_content_type(std::string_view value) {
  std::string type = lower(value.substr(0, value.find(';')));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  return type == "application/json" || (type.size() > 5 && type.ends_with("+json"));
}

// Handlers and middleware must not throw across the I/O loop or the pool.
Response handle_safely(const Router& router, Request& req) {
  try {
    return router.handle(req);
  } catch (const std::exception& e) {
    req.internal_error = e.what();
  } catch (...) {
    req.internal_error = "unknown exception";
  }
  return edge_error(500, "internal_error", "Internal server error",
                    req.correlation_id.empty() ? new_uuid() : req.correlation_id);
}

bool is_inline(const Request& req, const std::vector<std::string>& paths) {
  return (req.method == "GET" || req.method == "HEAD") &&
         std::find(paths.begin(), paths.end(), req.path) != paths.end();
}

}  // namespace

Connection::Connection(tcp::socket socket, std::string peer_ip, ServerContext& ctx)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      peer_ip_(std::move(peer_ip)),
      ctx_(ctx),
      ticket_(std::make_shared<ConnectionTicket>(peer_ip_, network_of(peer_ip_))) {}

Connection::~Connection() {
  if (ticket_->holds_slot.exchange(false)) ctx_.limits.release(peer_ip_);
  std::lock_guard lock(ctx_.mutex);
  ctx_.live.erase(id_);
}

void Connection::start() {
  ticket_->connection = weak_from_this();
  {
    std::lock_guard lock(ctx_.mutex);
    id_ = ++ctx_.next_id;
    ctx_.live[id_] = ticket_;
  }
  if (ctx_.draining) {
    close();
    return;
  }
  // The first request's head must be complete within the header deadline of the accept.
  arm(Clock::now() + std::chrono::milliseconds(ctx_.options.header_timeout_ms));
  read_more();
}

void Connection::evict() {
  if (phase_ == Phase::kIdle || phase_ == Phase::kHead || phase_ == Phase::kClosing) close();
}

void Connection::set_phase(Phase phase) {
  phase_ = phase;
  ticket_->awaiting_head =
      phase == Phase::kIdle || phase == Phase::kHead || phase == Phase::kClosing;
}

void Connection::drain() {
  // Between requests: close. A request whose head is complete is in flight and is served; a
  // head still arriving is answered 503 when complete (its deadline still applies).
  if (phase_ == Phase::kIdle) close();
}

void Connection::read_more() {
  if (reading_) return;
  reading_ = true;
  socket_.async_read_some(
      net::buffer(chunk_),
      [self = shared_from_this()](const error_code& ec, std::size_t n) { self->on_read(ec, n); });
}

void Connection::on_read(const error_code& ec, std::size_t n) {
  reading_ = false;
  if (phase_ == Phase::kClosing) {
    if (ec) {
      close();
    } else {
      read_more();  // discard what the client still sends
    }
    return;
  }
  // A read cancelled by a deadline, or bytes arriving after the answer was decided.
  if (phase_ != Phase::kIdle && phase_ != Phase::kHead && phase_ != Phase::kBody) return;
  if (ec) {
    close();  // the peer closed or reset
    return;
  }
  in_.append(chunk_.data(), n);
  process_input();
}

void Connection::process_input() {
  while (true) {
    if (phase_ == Phase::kIdle) {
      // RFC 9112 2.2: empty lines before a request line are ignored.
      std::size_t skip = 0;
      while (skip + 1 < in_.size() && in_[skip] == '\r' && in_[skip + 1] == '\n') skip += 2;
      in_.erase(0, skip);
      if (in_.empty() || in_ == "\r") {
        read_more();
        return;
      }
      set_phase(Phase::kHead);
      if (!first_request_)
        arm(Clock::now() + std::chrono::milliseconds(ctx_.options.header_timeout_ms));
    }
    if (phase_ == Phase::kHead && !take_head()) return;
    if (phase_ == Phase::kBody && !take_body()) return;
    if (phase_ != Phase::kIdle && phase_ != Phase::kHead && phase_ != Phase::kBody) return;
  }
}

// Parses a complete head; true when the body (possibly empty) is next.
bool Connection::take_head() {
  HeaderBlockScan scan = scan_header_block(in_, kMaxHeadBytes);
  switch (scan.kind) {
    case HeaderBlockScan::Kind::kNeedMore:
      read_more();
      return false;
    case HeaderBlockScan::Kind::kTooLarge:
      refuse(431, "header_too_large", "Request head exceeds 16 KiB");
      return false;
    case HeaderBlockScan::Kind::kInvalid:
      refuse(400, "bad_request", "Malformed request: " + scan.reason);
      return false;
    case HeaderBlockScan::Kind::kComplete:
      break;
  }
  first_request_ = false;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(kMaxHeadBytes + 4));
  parser_->body_limit(static_cast<std::uint64_t>(ctx_.options.max_body_bytes));
  parser_->eager(true);
  error_code ec;
  std::size_t used = parser_->put(net::buffer(in_.data(), scan.length), ec);
  if (ec == bhttp::error::body_limit) {  // Content-Length over the limit: refused unread
    keep_alive_ = false;
    answer_too_large();
    return false;
  }
  if (ec || !parser_->is_header_done()) {
    refuse(400, "bad_request", "Malformed request: " + ec.message());
    return false;
  }
  in_.erase(0, used);
  const auto& msg = parser_->get();
  if (msg.method() == bhttp::verb::unknown) {
    // Only the methods Beast knows get further: a method is a metrics label, and labels
    // must stay a bounded set.
    refuse(501, "not_implemented", "Unknown request method");
    return false;
  }
  method_label_ = std::string(msg.method_string());
  head_request_ = msg.method() == bhttp::verb::head;
  keep_alive_ = msg.keep_alive();
  correlation_id_ = correlation_id_for(msg["X-Request-ID"], msg["X-Correlation-ID"]);
  if (msg.version() != 11 && msg.version() != 10) {
    refuse(505, "http_version_not_supported", "Only HTTP/1.1 and HTTP/1.0 are served");
    return false;
  }
  if (msg.version() == 11 && msg.find(bhttp::field::host) == msg.end()) {
    refuse(400, "bad_request", "Malformed request: missing Host");
    return false;
  }
  if (msg.version() == 10 && parser_->chunked()) {
    // HTTP/1.0 has no chunked coding (RFC 9112 6.1): a 1.0 hop in front would frame it
    // differently.
    refuse(400, "bad_request", "Malformed request: chunked transfer coding in HTTP/1.0");
    return false;
  }
  if (msg.target().empty() || msg.target().front() != '/') {
    refuse(400, "bad_request", "Malformed request: the target must be an absolute path");
    return false;
  }
  if (ctx_.draining) {
    refuse(503, "service_unavailable", "Server is shutting down");
    return false;
  }
  const long long limit =
      is_json_content_type(msg[bhttp::field::content_type])
          ? std::min(ctx_.options.max_json_body_bytes, ctx_.options.max_body_bytes)
          : ctx_.options.max_body_bytes;
  parser_->body_limit(static_cast<std::uint64_t>(limit));  // chunked bodies count against it
  auto length = parser_->content_length();
  if (length && *length > static_cast<std::uint64_t>(limit)) {
    answer_too_large();  // before reading a byte of the body
    return false;
  }
  expect_continue_ = msg.version() == 11 && !parser_->is_done() &&
                     lower(msg[bhttp::field::expect]) == "100-continue";
  head_fields_ = static_cast<std::size_t>(std::distance(msg.begin(), msg.end()));
  set_phase(Phase::kBody);
  body_start_ = Clock::now();
  body_bytes_ = 0;
  stalled_since_.reset();
  arm_body_deadline();
  return true;
}

// Feeds received bytes to the parser; true when more buffered bytes can be fed at once.
bool Connection::take_body() {
  if (parser_->is_done()) {
    dispatch();
    return false;
  }
  if (in_.empty()) {
    if (expect_continue_ && !send_continue()) return false;
    read_more();
    return false;
  }
  expect_continue_ = false;  // the client did not wait for it
  error_code ec;
  std::size_t used = parser_->put(net::buffer(in_), ec);
  in_.erase(0, used);
  body_bytes_ += static_cast<long long>(used);
  if (ec == bhttp::error::body_limit) {
    answer_too_large();
    return false;
  }
  if (ec && ec != bhttp::error::need_more) {
    refuse(400, "bad_request", "Malformed request body: " + ec.message());
    return false;
  }
  if (parser_->is_done()) {
    dispatch();
    return false;
  }
  if (used == 0 && in_.size() >= kMaxPendingBodyBytes) {
    // A chunk-size line or trailer section that never ends would otherwise be buffered whole.
    refuse(400, "bad_request", "Malformed request body: chunk line or trailer too long");
    return false;
  }
  if (used > 0) {
    stalled_since_.reset();
    arm_body_deadline();
  } else if (!stalled_since_) {
    // Nothing consumed: the time banked by earlier body bytes must not pay for a line the
    // parser cannot take, so it gets the head's deadline at most.
    stalled_since_ = Clock::now();
    arm_body_deadline();
  }
  if (used == 0 || in_.empty()) {
    read_more();
    return false;
  }
  return true;
}

// The interim 100 Continue is 25 bytes on an idle socket: written at once, not queued.
bool Connection::send_continue() {
  expect_continue_ = false;
  if (ctx_.options.before_continue) {
    std::string error;
    Request req = request_head(error);
    std::optional<Response> final;
    if (error.empty()) {
      try {
        final = ctx_.options.before_continue(req);
      } catch (...) {
        final.reset();  // undecided: let the request run its normal course
      }
    }
    if (final) {
      disarm();
      set_phase(Phase::kHandling);
      respond(*final, true);  // the body was never invited: close after
      return false;
    }
  }
  error_code ec;
  socket_.non_blocking(true, ec);
  std::size_t n = ec ? 0 : socket_.write_some(net::buffer(kContinue.data(), kContinue.size()), ec);
  if (ec || n != kContinue.size()) {
    close();
    return false;
  }
  body_start_ = Clock::now();
  arm_body_deadline();
  return true;
}

Request Connection::request_head(std::string& error) {
  const auto& msg = parser_->get();
  Request req;
  req.method = std::string(msg.method_string());
  std::string_view target = msg.target();
  std::size_t q = target.find('?');
  if (!decode_path(target.substr(0, q), req.path)) error = "Malformed request target";
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  for (const auto& field : msg) {
    auto [it, inserted] =
        req.headers.emplace(lower(field.name_string()), std::string(field.value()));
    if (!inserted) {
      it->second += ", ";
      it->second += field.value();
    }
  }
  req.client_ip =
      resolve_client_ip(peer_ip_, req.header("x-forwarded-for"), ctx_.options.trusted_proxies);
  return req;
}

// 413 through the middleware chain (logged, counted, correlated like any response), then close.
void Connection::answer_too_large() {
  disarm();
  set_phase(Phase::kHandling);
  std::string error;
  Request req = request_head(error);
  req.body_error =
      is_json_content_type(req.header("content-type")) ? "too_large_json" : "too_large";
  Response res = handle_safely(ctx_.router, req);
  respond(res, true);
}

void Connection::dispatch() {
  disarm();
  set_phase(Phase::kHandling);
  if (static_cast<std::size_t>(std::distance(parser_->get().begin(), parser_->get().end())) !=
      head_fields_) {
    // Beast merges trailer fields into the headers, after our checks of the head ran: a
    // trailer could then set X-Forwarded-For or X-Request-ID. Nothing here uses trailers.
    refuse(400, "bad_request", "Malformed request: trailer fields are not accepted");
    return;
  }
  std::string error;
  Request req = request_head(error);
  if (!error.empty()) {
    refuse(400, "bad_request", error);
    return;
  }
  std::string& body = parser_->get().body();
  std::string content_type = req.header("content-type");
  if (!body.empty() && is_form_content_type(content_type)) {
    auto form = parse_form(content_type, body);
    if (form) {
      req.form = std::move(*form);
    } else {
      req.body_error = "invalid_form";
    }
  } else {
    req.body = std::move(body);
  }
  parser_.reset();

  if (is_inline(req, ctx_.options.inline_paths)) {
    respond(handle_safely(ctx_.router, req), false);
    return;
  }
  auto self = shared_from_this();
  bool queued = ctx_.pool.try_submit([self, req = std::move(req)]() mutable {
    Response res = handle_safely(self->ctx_.router, req);
    net::post(self->executor(), [self, res = std::move(res)] { self->respond(res, false); });
  });
  if (!queued) {
    // Waiting longer would only grow latency for everyone: say so at once.
    ctx_.logger->warn("request refused", {{"status", 503LL},
                                          {"code", "server_busy"},
                                          {"client_ip", peer_ip_},
                                          {"correlation_id", correlation_id_}});
    count_refusal(503);
    Response res = edge_error(503, "server_busy", "Server is busy; retry shortly", correlation_id_);
    res.set_header("Retry-After", "1");
    respond(res, false);
  }
}

void Connection::refuse(int status, const std::string& code, const std::string& message) {
  disarm();
  set_phase(Phase::kHandling);
  if (correlation_id_.empty()) correlation_id_ = new_uuid();
  ctx_.logger->info("request refused", {{"status", static_cast<long long>(status)},
                                        {"code", code},
                                        {"reason", message},
                                        {"client_ip", peer_ip_},
                                        {"correlation_id", correlation_id_}});
  count_refusal(status);
  respond(edge_error(status, code, message, correlation_id_), true);
}

void Connection::count_refusal(int status) {
  if (ctx_.options.metrics == nullptr) return;
  ctx_.options.metrics->observe_request(method_label_.empty() ? "UNKNOWN" : method_label_,
                                        "refused", status, 0.0);
}

void Connection::respond(const Response& response, bool close) {
  if (phase_ == Phase::kClosed || phase_ == Phase::kClosing) return;
  // Sockets are scarce: do not keep idle ones open.
  bool scarce = ctx_.limits.total() * 4 >= ctx_.limits.max_total() * 3;
  bool keep = keep_alive_ && !close && !ctx_.draining && !scarce;
  close_after_write_ = !keep;
  out_ = to_wire(response, !head_request_, keep);
  out_written_ = 0;
  set_phase(Phase::kWriting);
  write_deadline_ = Clock::now() + std::chrono::milliseconds(ctx_.options.write_timeout_ms);
  write_more();
}

// Writes piece by piece, so the deadline can follow progress: a reader that stalls loses the
// connection after write_stall_timeout, not after the whole write timeout.
void Connection::write_more() {
  arm(std::min(write_deadline_,
               Clock::now() + std::chrono::milliseconds(ctx_.options.write_stall_timeout_ms)));
  socket_.async_write_some(net::buffer(out_.data() + out_written_, out_.size() - out_written_),
                           [self = shared_from_this()](const error_code& ec, std::size_t n) {
                             self->on_write_some(ec, n);
                           });
}

void Connection::on_write_some(const error_code& ec, std::size_t n) {
  if (phase_ != Phase::kWriting) return;
  out_written_ += n;
  if (!ec && out_written_ < out_.size()) {
    write_more();
    return;
  }
  on_written(ec);
}

void Connection::on_written(const error_code& ec) {
  if (phase_ != Phase::kWriting) return;
  if (ec) {
    close();
    return;
  }
  if (out_.capacity() > std::size_t{64} << 10) {
    std::string().swap(out_);
  } else {
    out_.clear();
  }
  parser_.reset();
  correlation_id_.clear();
  method_label_.clear();
  head_request_ = false;
  if (close_after_write_ || ctx_.draining) {
    linger_close();
    return;
  }
  set_phase(Phase::kIdle);
  arm(Clock::now() + std::chrono::milliseconds(ctx_.options.keep_alive_timeout_ms));
  process_input();
}

void Connection::linger_close() {
  set_phase(Phase::kClosing);
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  in_.clear();
  arm(Clock::now() + kLingerTime);
  read_more();
}

void Connection::close() {
  if (phase_ == Phase::kClosed) return;
  set_phase(Phase::kClosed);
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  disarm();
}

void Connection::arm(Clock::time_point deadline) {
  std::uint64_t generation = ++timer_generation_;
  timer_.expires_at(deadline);
  timer_.async_wait([self = shared_from_this(), generation](const error_code& ec) {
    if (!ec && generation == self->timer_generation_) self->on_deadline();
  });
}

void Connection::disarm() {
  ++timer_generation_;
  timer_.cancel();
}

// Body deadline: after the grace period the body must have averaged min_body_rate, so the
// next byte is due by start + grace + received / rate.
void Connection::arm_body_deadline() {
  const auto& o = ctx_.options;
  auto allowance = std::chrono::microseconds((body_bytes_ + 1) * 1'000'000 /
                                             std::max<long long>(1, o.min_body_rate));
  Clock::time_point deadline = body_start_ + std::chrono::milliseconds(o.body_grace_ms) + allowance;
  if (stalled_since_) {
    deadline = std::min(deadline, *stalled_since_ + std::chrono::milliseconds(o.header_timeout_ms));
  }
  arm(deadline);
}

void Connection::on_deadline() {
  error_code ec;
  switch (phase_) {
    case Phase::kIdle:  // idle keep-alive, or a connection that never sent a byte
    case Phase::kClosing:
      close();
      break;
    case Phase::kWriting:
      // The client stopped reading: reset rather than close, so the kernel drops the unsent
      // bytes at once instead of keeping them for a reader that may never come.
      socket_.set_option(net::socket_base::linger(true, 0), ec);
      close();
      break;
    case Phase::kHead:
      socket_.cancel(ec);
      refuse(408, "request_timeout",
             "Request head not complete within " +
                 std::to_string(ctx_.options.header_timeout_ms / 1000) + " s");
      break;
    case Phase::kBody:
      socket_.cancel(ec);
      refuse(408, "request_timeout",
             "Request body arrived slower than " +
                 std::to_string(ctx_.options.min_body_rate >> 10) + " KB/s");
      break;
    case Phase::kHandling:
    case Phase::kClosed:
      break;
  }
}

}  // namespace faceid::http
