// RedisClient: the one way the service talks to Redis (shared rate limits and, later, other
// state replicas must agree on). A small pool of synchronous hiredis connections behind a
// value-returning interface; hiredis itself stays in the .cpp.
// Reconnects with exponential backoff: while a backoff is pending, calls fail at once with
// "redis_unavailable" instead of each request paying a connect timeout.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.h"

namespace faceid::redis {

// redis://[[user]:password@]host[:port][/db]
struct RedisUrl {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;
  std::string password;
  int db = 0;
};

Result<RedisUrl> parse_redis_url(std::string_view url);

struct Reply {
  enum class Type { kNil, kInteger, kString, kStatus, kArray };
  Type type = Type::kNil;
  long long integer = 0;
  std::string str;
  std::vector<Reply> elements;
};

struct RedisOptions {
  int pool_size = 8;
  std::chrono::milliseconds timeout{1000};  // connect and per-command
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
};

// A Lua script, run atomically by the server (EVALSHA after a SCRIPT LOAD).
struct Script {
  std::string source;
};

class RedisClient {
 public:
  RedisClient(RedisUrl url, RedisOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs one command. Errors: "redis_unavailable" (no connection, timeout), "redis_error"
  // (the server answered with an error).
  Result<Reply> command(const std::vector<std::string>& argv);
  Result<Reply> eval(const Script& script, const std::vector<std::string>& keys,
                     const std::vector<std::string>& args);
  Status ping();

  const RedisUrl& url() const { return url_; }
  const RedisOptions& options() const { return options_; }

 private:
  struct Connection;
  std::unique_ptr<Connection> take();             // a pooled or new connection, or null
  void give_back(std::unique_ptr<Connection> c);  // returns a healthy connection
  void note_failure();

  const RedisUrl url_;
  const RedisOptions options_;
  std::mutex mu_;  // guards idle_, backoff_, retry_at_, script_shas_
  std::vector<std::unique_ptr<Connection>> idle_;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point retry_at_{};
  std::map<std::string, std::string> script_shas_;  // source -> SHA-1 the server gave; mu_
};

// Subscription: a background thread subscribed to one pub/sub channel on its own connection
// (a subscribed connection can do nothing else). Calls `on_message` for every message and
// `on_subscribed` after every (re)subscription, so the owner can catch up on what it missed
// while disconnected. Reconnects with the same backoff as RedisClient. Stops in the destructor.
class Subscription {
 public:
  using OnMessage = std::function<void(const std::string& payload)>;
  Subscription(RedisUrl url, std::string channel, OnMessage on_message,
               std::function<void()> on_subscribed, RedisOptions options = {});
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

 private:
  void run();

  const RedisUrl url_;
  const std::string channel_;
  const OnMessage on_message_;
  const std::function<void()> on_subscribed_;
  const RedisOptions options_;
  std::mutex mu_;  // guards fd_ and wakes the backoff sleep
  std::condition_variable cv_;
  int fd_ = -1;  // the subscribed socket, shut down to unblock the thread on stop
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace faceid::redis
