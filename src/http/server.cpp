// The listener and the I/O threads. One io_context per I/O thread, connections dealt to them
// round-robin: a socket's readiness, its handlers and its timer all stay on one thread. (One
// io_context shared by two threads made every request hop between them, ~4 context switches
// per /health instead of ~2, and on a loaded machine each extra wake-up is a chance to wait
// for a core: p99 at 4,000 req/s was 2-4x civetweb's.) The acceptor and every connection
// still have a strand, as the work pool posts responses back from its own threads.
// Connections register themselves so stop() can close the idle ones and wait for the busy ones.
#include "http/server.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "http/connection.h"
#include "http/connection_limits.h"
#include "http/correlation_id.h"
#include "http/wire_response.h"
#include "http/work_pool.h"
#include "observability/metrics.h"

namespace faceid::http {
namespace {

namespace net = boost::asio;
using boost::system::error_code;
using tcp = net::ip::tcp;

constexpr std::size_t kQueuePerWorker = 4;
constexpr auto kAcceptRetry = std::chrono::milliseconds(50);
constexpr int kMaxEvictionsPerAccept = 4;

std::vector<std::unique_ptr<net::io_context>> make_contexts(int n) {
  std::vector<std::unique_ptr<net::io_context>> out;
  for (int i = 0; i < std::max(1, n); ++i) out.push_back(std::make_unique<net::io_context>(1));
  return out;
}

std::string address_text(const net::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, const Router& router, observability::LoggerPtr logger)
      : options_(std::move(options)),
        pool_(options_.workers,
              options_.queue_capacity > 0
                  ? options_.queue_capacity
                  : kQueuePerWorker * static_cast<std::size_t>(std::max(1, options_.workers))),
        limits_(options_.max_connections, options_.max_connections_per_ip, options_.trusted_proxies,
                options_.max_connections_per_network),
        ctx_(options_, router, std::move(logger), pool_, limits_),
        iocs_(make_contexts(options_.io_threads)),
        acceptor_(net::make_strand(*iocs_.front())),
        accept_retry_(acceptor_.get_executor()) {
    for (auto& ioc : iocs_) work_.push_back(net::make_work_guard(*ioc));
  }

  ~Impl() { stop(); }

  Status start() {
    error_code ec;
    tcp::resolver resolver(*iocs_.front());
    auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port),
                                      tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    std::string where = options_.host + ":" + std::to_string(options_.port);
    if (ec || endpoints.empty())
      return make_error("server_start_failed", "cannot resolve " + where);
    tcp::endpoint endpoint = endpoints.begin()->endpoint();
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
      return make_error("server_start_failed", "cannot listen on " + where + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
    accept();
    for (auto& ioc : iocs_) {
      threads_.emplace_back([&ioc = *ioc] { ioc.run(); });
    }
    started_ = true;
    return {};
  }

  int port() const { return port_; }

  void stop() {
    if (!started_ || stopped_) return;
    stopped_ = true;
    ctx_.draining = true;
    net::post(acceptor_.get_executor(), [this] {
      error_code ec;
      acceptor_.close(ec);
      accept_retry_.cancel();
    });
    std::vector<std::shared_ptr<Connection>> open;
    {
      std::lock_guard lock(ctx_.mutex);
      for (auto& [id, ticket] : ctx_.live) {
        if (auto c = ticket->connection.lock()) open.push_back(std::move(c));
      }
    }
    for (auto& c : open) net::post(c->executor(), [c] { c->drain(); });
    open.clear();
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.drain_timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard lock(ctx_.mutex);
        if (ctx_.live.empty()) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    work_.clear();
    for (auto& ioc : iocs_) ioc->stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    pool_.stop();
  }

 private:
  void accept() {
    net::io_context& ioc = *iocs_[next_context_++ % iocs_.size()];
    acceptor_.async_accept(net::make_strand(ioc), [this](const error_code& ec, tcp::socket s) {
      on_accept(ec, std::move(s));
    });
  }

  void on_accept(const error_code& ec, tcp::socket socket) {
    if (!acceptor_.is_open() || ec == net::error::operation_aborted) return;
    if (ec) {
      // Typically EMFILE: back off instead of spinning on the listener.
      ctx_.logger->warn("accept failed", {{"error", ec.message()}});
      accept_retry_.expires_after(kAcceptRetry);
      accept_retry_.async_wait([this](const error_code& e) {
        if (!e && acceptor_.is_open()) accept();
      });
      return;
    }
    error_code e;
    tcp::endpoint peer = socket.remote_endpoint(e);
    if (!e) {
      socket.set_option(tcp::no_delay(true), e);
      if (options_.send_buffer_bytes > 0) {
        socket.set_option(net::socket_base::send_buffer_size(options_.send_buffer_bytes), e);
      }
      std::string ip = address_text(peer.address());
      if (!ctx_.draining && admit(ip)) {
        std::make_shared<Connection>(std::move(socket), std::move(ip), ctx_)->start();
      } else {
        refuse_over_capacity(socket, ip);
      }
    }
    accept();
  }

  // Takes a slot for `ip`. At a cap, the oldest connection within that cap that has not sent
  // a complete request head gives up its slot first: silent sockets cannot keep out a client
  // that talks (a request head makes a connection safe from eviction).
  bool admit(const std::string& ip) {
    for (int tries = 0; tries < kMaxEvictionsPerAccept; ++tries) {
      auto admission = limits_.try_acquire(ip);
      if (admission) return true;
      last_refusal_ = admission.refused_by;
      if (!evict_oldest_awaiting_head(admission.refused_by, ip)) return false;
    }
    return false;
  }

  bool evict_oldest_awaiting_head(ConnectionLimits::Cap cap, const std::string& ip) {
    std::shared_ptr<Connection> victim;
    bool found = false;
    std::string network = cap == ConnectionLimits::Cap::kNetwork ? network_of(ip) : "";
    {
      std::lock_guard lock(ctx_.mutex);
      for (auto& [id, ticket] : ctx_.live) {
        if (!ticket->awaiting_head) continue;
        if (cap == ConnectionLimits::Cap::kAddress && ticket->peer_ip != ip) continue;
        if (cap == ConnectionLimits::Cap::kNetwork && ticket->network != network) continue;
        if (!ticket->holds_slot.exchange(false)) continue;  // being evicted already
        limits_.release(ticket->peer_ip);
        victim = ticket->connection.lock();  // null: it is closing by itself
        found = true;
        break;
      }
    }
    if (!found) return false;
    ++evicted_;
    if (victim) net::post(victim->executor(), [victim] { victim->evict(); });
    log_cap_activity();
    return true;
  }

  // Refusals and evictions at the caps, at most one log line a second (a flood must not
  // become a log flood) with the counts since the last line.
  void log_cap_activity() {
    auto now = std::chrono::steady_clock::now();
    if (now - last_cap_log_ < std::chrono::seconds(1)) return;
    last_cap_log_ = now;
    const char* cap = last_refusal_ == ConnectionLimits::Cap::kTotal     ? "total"
                      : last_refusal_ == ConnectionLimits::Cap::kNetwork ? "network"
                                                                         : "address";
    ctx_.logger->warn("connection cap reached",
                      {{"cap", cap},
                       {"refused", static_cast<long long>(refused_)},
                       {"evicted_awaiting_head", static_cast<long long>(evicted_)},
                       {"open", static_cast<long long>(limits_.total())},
                       {"last_client_ip", last_cap_ip_}});
    refused_ = 0;
    evicted_ = 0;
  }

  // Over a cap: one small 503 written without waiting, then the socket closes.
  void refuse_over_capacity(tcp::socket& socket, const std::string& ip) {
    ++refused_;
    last_cap_ip_ = ip;
    log_cap_activity();
    if (options_.metrics) options_.metrics->observe_request("UNKNOWN", "refused", 503, 0.0);
    Response res =
        edge_error(503, "too_many_connections", "Too many connections; retry shortly", new_uuid());
    res.set_header("Retry-After", "1");
    std::string wire = to_wire(res, true, false);
    error_code ec;
    socket.non_blocking(true, ec);
    if (!ec) socket.write_some(net::buffer(wire), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }

  // Declaration order is destruction order in reverse: the io_contexts (whose pending handlers
  // hold connections) go before the context, pool and limits those connections use.
  ServerOptions options_;
  WorkPool pool_;
  ConnectionLimits limits_;
  ServerContext ctx_;
  std::vector<std::unique_ptr<net::io_context>> iocs_;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::size_t next_context_ = 0;  // only touched on the acceptor's strand
  // Cap activity for the rate-limited log line; only touched on the acceptor's strand.
  std::size_t refused_ = 0;
  std::size_t evicted_ = 0;
  ConnectionLimits::Cap last_refusal_ = ConnectionLimits::Cap::kNone;
  std::string last_cap_ip_;
  std::chrono::steady_clock::time_point last_cap_log_{};
  tcp::acceptor acceptor_;
  net::steady_timer accept_retry_;
  std::vector<std::thread> threads_;
  int port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

Server::Server(ServerOptions options, const Router& router, observability::LoggerPtr logger)
    : impl_(std::make_unique<Impl>(std::move(options), router, std::move(logger))) {}

Server::~Server() = default;

Status Server::start() { return impl_->start(); }
int Server::port() const { return impl_->port(); }
void Server::stop() { impl_->stop(); }

}  // namespace faceid::http
