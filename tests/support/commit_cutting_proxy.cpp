// CommitCuttingProxy: plain sockets and poll(); the client's byte stream is split into
// protocol messages (an untyped start-up message, then type byte + length + body), so the
// proxy recognises a COMMIT whole before forwarding it.
#include "support/commit_cutting_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace faceid::testing {
namespace {

constexpr int kPollMs = 50;
// Untyped requests that precede the start-up message (each answered by one byte).
constexpr std::uint32_t kSslRequest = 80877103;
constexpr std::uint32_t kGssEncRequest = 80877104;

std::uint32_t be32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return ntohl(v);
}

bool send_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads and drops what the server sends until it closes (or `limit_ms` pass).
void drain_until_closed(int fd, int limit_ms) {
  char buf[4096];
  for (int waited = 0; waited < limit_ms; waited += kPollMs) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) > 0 && ::recv(fd, buf, sizeof(buf), 0) <= 0) return;
  }
}

}  // namespace

CommitCuttingProxy::CommitCuttingProxy(int server_port) : server_port_(server_port) {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
      ::listen(listener_, 64) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(listener_);
    throw std::runtime_error("proxy: cannot listen");
  }
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

CommitCuttingProxy::~CommitCuttingProxy() {
  stop_ = true;
  acceptor_.join();
  ::close(listener_);
  std::lock_guard lock(mu_);
  for (auto& t : pumps_) t.join();
}

void CommitCuttingProxy::accept_loop() {
  while (!stop_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) <= 0) continue;
    int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0) continue;
    int server = connect_loopback(server_port_);
    if (server < 0) {
      ::close(client);
      continue;
    }
    std::lock_guard lock(mu_);
    pumps_.emplace_back([this, client, server] { pump(client, server); });
  }
}

void CommitCuttingProxy::pump(int client, int server) {
  std::string pending;       // client bytes not yet forwarded: an incomplete message
  bool untyped = true;       // the next client message has no type byte (start-up phase)
  bool cut_at_sync = false;  // the armed statement was bound: cut after its Sync
  char buf[16384];
  bool open = true;
  while (open && !stop_) {
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (::poll(fds, 2, kPollMs) <= 0) continue;
    if (fds[1].revents != 0) {
      ssize_t n = ::recv(server, buf, sizeof(buf), 0);
      if (n <= 0 || !send_all(client, buf, static_cast<std::size_t>(n))) break;
    }
    if (fds[0].revents == 0) continue;
    ssize_t n = ::recv(client, buf, sizeof(buf), 0);
    if (n <= 0) break;
    pending.append(buf, static_cast<std::size_t>(n));
    // Forward every complete message; stop at a COMMIT to cut.
    for (;;) {
      const std::size_t header = untyped ? 4 : 5;
      if (pending.size() < header) break;
      const std::size_t size = (untyped ? 0 : 1) + be32(pending.data() + (untyped ? 0 : 1));
      if (pending.size() < size) break;
      const bool commit = !untyped && pending[0] == 'Q' && pending.compare(5, 6, "COMMIT") == 0;
      // Bind: type, length, portal name, statement name (both NUL-terminated).
      if (!untyped && pending[0] == 'B' && armed_ == Cut::kAfterStatement) {
        const char* portal = pending.data() + 5;
        const char* name = portal + std::strlen(portal) + 1;
        Cut expected = Cut::kAfterStatement;
        if (name == statement_ && armed_.compare_exchange_strong(expected, Cut::kNone)) {
          cut_at_sync = true;
        }
      }
      const bool sync = !untyped && pending[0] == 'S';
      if (untyped) {
        std::uint32_t code = be32(pending.data() + 4);
        untyped = code == kSslRequest || code == kGssEncRequest;
      }
      Cut cut = commit ? armed_.exchange(Cut::kNone) : Cut::kNone;
      if (sync && cut_at_sync) cut = Cut::kAfterCommit;  // the same cut: run it, withhold the reply
      if (cut == Cut::kBeforeCommit) {
        ++cuts_;
        open = false;
        break;
      }
      if (cut == Cut::kStallBeforeCommit) {
        // The client's side goes; the server's stays open (no FIN) until the server gives up.
        ::close(client);
        client = -1;
        ++cuts_;
        drain_until_closed(server, 60000);
        open = false;
        break;
      }
      if (!send_all(server, pending.data(), size)) {
        open = false;
        break;
      }
      pending.erase(0, size);
      if (cut == Cut::kAfterCommit) {
        // Let the server finish the COMMIT (or statement), but never tell the client how it went.
        // Once it closes, it has processed everything it was sent, the COMMIT included.
        ::shutdown(server, SHUT_WR);
        drain_until_closed(server, 5000);
        ++cuts_;
        open = false;
        break;
      }
    }
  }
  if (client >= 0) ::close(client);
  ::close(server);
}

}  // namespace faceid::testing
