// The Server in process with short deadlines and a tiny pool: keep-alive and pipelining,
// per-state deadlines, the full-queue 503, connection caps, graceful drain. Fast enough to
// run under the sanitizers (no face models involved).
#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "http/middleware.h"

namespace faceid::http {
namespace {

using Clock = std::chrono::steady_clock;

int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads until the peer closes or timeout_ms pass.
std::string read_all(int fd, int timeout_ms) {
  std::string out;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::string round_trip(int port, const std::string& request, int timeout_ms = 2000) {
  int fd = connect_to(port);
  EXPECT_GE(fd, 0);
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string reply = read_all(fd, timeout_ms);
  close(fd);
  return reply;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.use(correlation_id_middleware());
    router_.use(security_headers_middleware());
    router_.use(body_limit_middleware(1024));
    router_.get("/health", [](Request&) { return Response{200, "application/json", "{}", {}}; });
    router_.post("/echo", [](Request& r) {
      std::string out = r.body;
      for (const auto& f : r.form) out += f.name + "=" + f.value + ";";
      return Response{200, "text/plain", out, {}};
    });
    router_.get("/slow", [this](Request&) {
      ++started_;
      while (!release_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      return Response{200, "text/plain", "done", {}};
    });
    options_.host = "127.0.0.1";
    options_.port = 0;
    options_.workers = 1;
    options_.queue_capacity = 1;
    options_.max_body_bytes = 1024;
    options_.header_timeout_ms = 300;
    options_.body_grace_ms = 300;
    options_.keep_alive_timeout_ms = 300;
    options_.max_connections_per_ip = 8;
    options_.drain_timeout_ms = 5000;
  }
  void TearDown() override {
    release_ = true;
    if (server_) server_->stop();
  }
  int start() {
    server_ = std::make_unique<Server>(options_, router_, observability::Logger::null());
    EXPECT_TRUE(server_->start().ok());
    return server_->port();
  }

  Router router_;
  ServerOptions options_;
  std::unique_ptr<Server> server_;
  std::atomic<int> started_{0};
  std::atomic<bool> release_{false};
};

TEST_F(ServerTest, KeepAlivePipeliningAndFormsInOneConnection) {
  int port = start();
  std::string form =
      "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--B\r\n"
      "Content-Disposition: form-data; name=\"a\"\r\n\r\n2\r\n--B--\r\n";
  std::string reply = round_trip(
      port,
      "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\n"
      "Content-Length: " +
          std::to_string(form.size()) + "\r\n\r\n" + form +
          "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 3\r\n\r\nxyz");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find("a=1;a=2;"), std::string::npos) << reply;
  EXPECT_NE(reply.find("\r\n\r\nxyz"), std::string::npos) << reply;
  EXPECT_NE(reply.find("X-Content-Type-Options: nosniff"), std::string::npos);
}

TEST_F(ServerTest, LateHeadLateBodyAndIdleConnectionsAreClosedByTheirDeadlines) {
  int port = start();
  auto t0 = Clock::now();
  std::string head = round_trip(port, "GET /health HTTP/1.1\r\nHost", 3000);
  EXPECT_EQ(head.rfind("HTTP/1.1 408 ", 0), 0u) << head;
  std::string body =
      round_trip(port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab", 3000);
  EXPECT_EQ(body.rfind("HTTP/1.1 408 ", 0), 0u) << body;
  std::string idle = round_trip(port, "", 3000);
  EXPECT_EQ(idle, "");  // closed without a word
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(6));
}

TEST_F(ServerTest, FullQueueIs503AtOnceAndInlinePathsStillAnswer) {
  options_.inline_paths = {"/health"};
  int port = start();
  auto first = std::async(std::launch::async, [&] {
    return round_trip(port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", 5000);
  });
  while (started_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto queued = std::async(std::launch::async, [&] {
    return round_trip(port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", 5000);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the queue of one is full
  auto t0 = Clock::now();
  std::string busy = round_trip(port, "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(busy.rfind("HTTP/1.1 503 ", 0), 0u) << busy;
  EXPECT_NE(busy.find("Retry-After: 1"), std::string::npos);
  EXPECT_NE(busy.find("server_busy"), std::string::npos);
  std::string health =
      round_trip(port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(health.rfind("HTTP/1.1 200 ", 0), 0u) << health;
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(1));
  release_ = true;
  EXPECT_NE(first.get().find("done"), std::string::npos);
  EXPECT_NE(queued.get().find("done"), std::string::npos);
}

TEST_F(ServerTest, ConnectionsOverThePerAddressCapAreRefused) {
  options_.max_connections_per_ip = 2;
  int port = start();
  // Two connections busy with a request (a body still to come): they cannot be evicted.
  const std::string busy = "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n";
  int a = connect_to(port);
  int b = connect_to(port);
  send(a, busy.data(), busy.size(), MSG_NOSIGNAL);
  send(b, busy.data(), busy.size(), MSG_NOSIGNAL);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::string third = round_trip(port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(third.rfind("HTTP/1.1 503 ", 0), 0u) << third;
  EXPECT_NE(third.find("too_many_connections"), std::string::npos);
  close(a);
  close(b);
}

TEST_F(ServerTest, SilentConnectionsGiveWayOldestFirstToOneThatTalks) {
  options_.max_connections_per_ip = 2;
  options_.header_timeout_ms = 5000;  // silence must not end them by itself here
  int port = start();
  int oldest = connect_to(port);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  int newer = connect_to(port);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::string third = round_trip(port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 1000);
  EXPECT_EQ(third.rfind("HTTP/1.1 200 ", 0), 0u) << third;
  pollfd o{oldest, POLLIN, 0};
  ASSERT_EQ(poll(&o, 1, 500), 1);
  char c = 0;
  EXPECT_LE(recv(oldest, &c, 1, 0), 0);  // closed without a word...
  pollfd p{newer, POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 0), 0) << "...and only the oldest";
  close(oldest);
  close(newer);
}

TEST_F(ServerTest, Http10ClosesUnlessAskedAndScarceSocketsAreNotKeptAlive) {
  options_.max_connections = 4;
  int port = start();
  std::string old = round_trip(port, "GET /health HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old.rfind("HTTP/1.1 200 ", 0), 0u) << old;
  EXPECT_NE(old.find("Connection: close"), std::string::npos);
  // Two idle sockets plus ours: three of four in use, so no keep-alive is granted.
  int a = connect_to(port);
  int b = connect_to(port);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::string scarce = round_trip(port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 1000);
  EXPECT_NE(scarce.find("Connection: close"), std::string::npos) << scarce;
  close(a);
  close(b);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::string plenty = round_trip(port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 1000);
  EXPECT_NE(plenty.find("Connection: keep-alive"), std::string::npos) << plenty;
}

TEST_F(ServerTest, StopFinishesTheRequestInFlightAndClosesIdleConnections) {
  int port = start();
  int idle = connect_to(port);
  auto inflight = std::async(std::launch::async, [&] {
    return round_trip(port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", 5000);
  });
  while (started_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  int uploading = connect_to(port);
  std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab";
  send(uploading, head.data(), head.size(), MSG_NOSIGNAL);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto stopping = std::async(std::launch::async, [&] { server_->stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // An upload under way when the drain began is read and served (within its body deadline).
  send(uploading, "cd", 2, MSG_NOSIGNAL);
  release_ = true;  // the pool's one worker finishes /slow, then takes the queued upload
  std::string echoed = read_all(uploading, 2000);
  EXPECT_EQ(echoed.rfind("HTTP/1.1 200 ", 0), 0u) << echoed;
  EXPECT_NE(echoed.find("abcd"), std::string::npos) << echoed;
  close(uploading);
  EXPECT_EQ(read_all(idle, 500), "");  // the idle connection was closed
  std::string reply = inflight.get();
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 ", 0), 0u) << reply;
  EXPECT_NE(reply.find("Connection: close"), std::string::npos);
  stopping.get();
  close(idle);
  EXPECT_LT(connect_to(port), 0);  // the listener is gone
}

}  // namespace
}  // namespace faceid::http
