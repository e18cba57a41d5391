// RedisClient: URL parsing, the connection pool, reconnect backoff and reply conversion.
#include "redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace faceid::redis {
namespace {

Error unavailable(const std::string& why) {
  return make_error("redis_unavailable", "Redis unavailable: " + why);
}

timeval to_timeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

Reply convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default:
      break;
  }
  return out;
}

bool parse_int(std::string_view s, int* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

Result<RedisUrl> parse_redis_url(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  auto bad = [&] {
    return make_error("invalid_config",
                      "REDIS_URL must look like redis://[:password@]host[:port][/db]");
  };
  if (url.rfind(kScheme, 0) != 0) return bad();
  std::string_view rest = url.substr(kScheme.size());
  RedisUrl out;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view cred = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = cred.find(':');
    if (colon == std::string_view::npos) {
      out.password = std::string(cred);
    } else {
      out.user = std::string(cred.substr(0, colon));
      out.password = std::string(cred.substr(colon + 1));
    }
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty() && (!parse_int(db, &out.db) || out.db < 0)) return bad();
  }
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    if (!parse_int(rest.substr(colon + 1), &out.port) || out.port <= 0 || out.port > 65535) {
      return bad();
    }
    rest = rest.substr(0, colon);
  }
  if (!rest.empty()) out.host = std::string(rest);
  return out;
}

struct RedisClient::Connection {
  redisContext* ctx = nullptr;
  ~Connection() {
    if (ctx != nullptr) redisFree(ctx);
  }
  // Runs argv; on a transport failure returns redis_unavailable and the caller drops us.
  Result<Reply> run(const std::vector<std::string>& argv, bool* broken) {
    std::vector<const char*> ptrs;
    std::vector<std::size_t> lens;
    for (const auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(ctx, static_cast<int>(argv.size()), ptrs.data(), lens.data()));
    if (r == nullptr) {
      *broken = true;
      return unavailable(ctx->errstr);
    }
    std::unique_ptr<redisReply, void (*)(void*)> guard(r, freeReplyObject);
    if (r->type == REDIS_REPLY_ERROR) return make_error("redis_error", std::string(r->str, r->len));
    return convert(r);
  }
};

RedisClient::RedisClient(RedisUrl url, RedisOptions options)
    : url_(std::move(url)), options_(options) {}

RedisClient::~RedisClient() = default;

std::unique_ptr<RedisClient::Connection> RedisClient::take() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    if (std::chrono::steady_clock::now() < retry_at_) return nullptr;  // backing off
  }
  auto c = std::make_unique<Connection>();
  c->ctx = redisConnectWithTimeout(url_.host.c_str(), url_.port, to_timeval(options_.timeout));
  if (c->ctx == nullptr || c->ctx->err != 0) {
    note_failure();
    return nullptr;
  }
  redisSetTimeout(c->ctx, to_timeval(options_.timeout));
  redisEnableKeepAlive(c->ctx);
  bool broken = false;
  if (!url_.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!url_.user.empty()) auth.push_back(url_.user);
    auth.push_back(url_.password);
    if (!c->run(auth, &broken)) {
      note_failure();
      return nullptr;
    }
  }
  if (url_.db != 0 && !c->run({"SELECT", std::to_string(url_.db)}, &broken)) {
    note_failure();
    return nullptr;
  }
  std::lock_guard lock(mu_);
  backoff_ = std::chrono::milliseconds(0);
  return c;
}

void RedisClient::give_back(std::unique_ptr<Connection> c) {
  std::lock_guard lock(mu_);
  if (static_cast<int>(idle_.size()) < options_.pool_size) idle_.push_back(std::move(c));
}

void RedisClient::note_failure() {
  std::lock_guard lock(mu_);
  backoff_ =
      backoff_.count() == 0 ? options_.min_backoff : std::min(options_.max_backoff, backoff_ * 2);
  retry_at_ = std::chrono::steady_clock::now() + backoff_;
  // A server that went away took every pooled connection with it.
  idle_.clear();
}

Result<Reply> RedisClient::command(const std::vector<std::string>& argv) {
  // A pooled connection may have died with a server restart: then try once more on a new one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto c = take();
    if (!c) return unavailable("not connected (reconnecting with backoff)");
    bool broken = false;
    auto r = c->run(argv, &broken);
    if (!broken) {
      give_back(std::move(c));
      return r;
    }
    if (attempt == 1) {
      note_failure();
      return r;
    }
  }
  return unavailable("unreachable");
}

Result<Reply> RedisClient::eval(const Script& script, const std::vector<std::string>& keys,
                                const std::vector<std::string>& args) {
  std::string sha;
  {
    std::lock_guard lock(mu_);
    if (auto it = script_shas_.find(script.source); it != script_shas_.end()) sha = it->second;
  }
  // EVALSHA sends 40 bytes instead of the script; NOSCRIPT (first use, or a restarted
  // server) loads it again. Either way the script runs atomically on the server.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (sha.empty()) {
      auto loaded = command({"SCRIPT", "LOAD", script.source});
      if (!loaded) return loaded.error();
      sha = loaded->str;
      std::lock_guard lock(mu_);
      script_shas_[script.source] = sha;
    }
    std::vector<std::string> argv = {"EVALSHA", sha, std::to_string(keys.size())};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = command(argv);
    if (r || r.error().code != "redis_error" || r.error().message.rfind("NOSCRIPT", 0) != 0) {
      return r;
    }
    sha.clear();
  }
  return make_error("redis_error", "script could not be loaded");
}

Status RedisClient::ping() {
  auto r = command({"PING"});
  if (!r) return r.error();
  return {};
}

Subscription::Subscription(RedisUrl url, std::string channel, OnMessage on_message,
                           std::function<void()> on_subscribed, RedisOptions options)
    : url_(std::move(url)),
      channel_(std::move(channel)),
      on_message_(std::move(on_message)),
      on_subscribed_(std::move(on_subscribed)),
      options_(options),
      thread_([this] { run(); }) {}

Subscription::~Subscription() {
  stop_ = true;
  {
    std::lock_guard lock(mu_);
    if (fd_ >= 0) shutdown(fd_, SHUT_RDWR);  // unblocks redisGetReply
  }
  cv_.notify_all();
  thread_.join();
}

void Subscription::run() {
  std::chrono::milliseconds backoff{0};
  while (!stop_) {
    redisContext* ctx =
        redisConnectWithTimeout(url_.host.c_str(), url_.port, to_timeval(options_.timeout));
    bool subscribed = false;
    if (ctx != nullptr && ctx->err == 0) {
      redisEnableKeepAlive(ctx);
      bool ok = true;
      if (!url_.password.empty()) {
        auto* r = static_cast<redisReply*>(
            url_.user.empty()
                ? redisCommand(ctx, "AUTH %s", url_.password.c_str())
                : redisCommand(ctx, "AUTH %s %s", url_.user.c_str(), url_.password.c_str()));
        ok = r != nullptr && r->type != REDIS_REPLY_ERROR;
        if (r != nullptr) freeReplyObject(r);
      }
      auto* r = ok ? static_cast<redisReply*>(
                         redisCommand(ctx, "SUBSCRIBE %b", channel_.data(), channel_.size()))
                   : nullptr;
      subscribed = r != nullptr && r->type == REDIS_REPLY_ARRAY;
      if (r != nullptr) freeReplyObject(r);
    }
    if (subscribed) {
      backoff = std::chrono::milliseconds(0);
      {
        std::lock_guard lock(mu_);
        fd_ = ctx->fd;
      }
      if (stop_) shutdown(ctx->fd, SHUT_RDWR);
      on_subscribed_();
      // Messages arrive as ["message", channel, payload]; blocks until one comes or the
      // connection fails (server gone, or our destructor shut the socket down).
      void* raw = nullptr;
      while (!stop_ && redisGetReply(ctx, &raw) == REDIS_OK) {
        auto* r = static_cast<redisReply*>(raw);
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
            r->element[2]->type == REDIS_REPLY_STRING) {
          on_message_(std::string(r->element[2]->str, r->element[2]->len));
        }
        freeReplyObject(r);
      }
      std::lock_guard lock(mu_);
      fd_ = -1;
    }
    if (ctx != nullptr) redisFree(ctx);
    if (stop_) break;
    backoff =
        backoff.count() == 0 ? options_.min_backoff : std::min(options_.max_backoff, backoff * 2);
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, backoff, [this] { return stop_.load(); });
  }
}

}  // namespace faceid::redis
