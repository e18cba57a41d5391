// RedisClient: the one way the service talks to Redis (shared rate limits and, later, other
// state replicas must agree on). A small pool of synchronous hiredis connections behind a
// value-returning interface; hiredis itself stays in the .cpp.
// Reconnects with exponential backoff: while a backoff is pending, calls fail at once with
// "redis_unavailable" instead of each request paying a connect timeout.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
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

}  // namespace faceid::redis
