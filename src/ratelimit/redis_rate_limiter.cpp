// The sliding-window counter of memory_rate_limiter.cpp as a Redis Lua script. Per key two
// fixed-window counters, "<key>:<window start>" for the current and the previous window;
// estimate = previous * (1 - elapsed / window) + current; a hit is allowed (and counted) when
// estimate + 1 <= limit. One EVALSHA per hit: one round trip, atomic on the server.
#include "ratelimit/redis_rate_limiter.h"

#include "redis/redis_client.h"

namespace faceid::ratelimit {
namespace {

// KEYS[1] = key prefix; ARGV = count, window seconds. Returns {allowed, remaining, retry}.
const redis::Script kSlidingWindow{R"lua(
local count = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local start = now - (now % window)
local cur_key = KEYS[1] .. ':' .. string.format('%d', start)
local prev_key = KEYS[1] .. ':' .. string.format('%d', start - window)
local current = tonumber(redis.call('GET', cur_key) or '0')
local previous = tonumber(redis.call('GET', prev_key) or '0')
local elapsed = now - start
local estimate = previous * (1 - elapsed / window) + current
local eps = 1e-9
if estimate + 1 <= count + eps then
  redis.call('INCR', cur_key)
  redis.call('EXPIRE', cur_key, window * 2)
  return {1, math.max(0, math.floor(count - estimate - 1 + eps)), 0}
end
local retry
if current >= count then
  retry = window - elapsed + window * (1 - (count - 1) / current)
else
  local needed = window * (1 - (count - 1 - current) / previous)
  retry = math.min(needed - elapsed, window - elapsed)
end
return {0, 0, math.max(1, math.ceil(retry - eps))}
)lua"};

Error unavailable(const Error& cause) {
  return make_error("rate_limiter_unavailable", "rate limiter unavailable: " + cause.message);
}

}  // namespace

RedisRateLimiter::RedisRateLimiter(redis::RedisClient& client, std::string prefix)
    : client_(client), prefix_(std::move(prefix)) {}

Result<RateDecision> RedisRateLimiter::hit(std::string_view key, const RateLimit& limit) {
  if (limit.count <= 0 || limit.window <= std::chrono::seconds::zero()) {
    return make_error("invalid_rate_limit", "rate limit count and window must be positive");
  }
  // The hash tag keeps both window counters of a key in one Redis Cluster slot.
  auto r = client_.eval(kSlidingWindow, {prefix_ + "{" + std::string(key) + "}"},
                        {std::to_string(limit.count), std::to_string(limit.window.count())});
  if (!r) return unavailable(r.error());
  if (r->type != redis::Reply::Type::kArray || r->elements.size() != 3) {
    return make_error("rate_limiter_unavailable", "unexpected reply from the rate-limit script");
  }
  RateDecision d;
  d.allowed = r->elements[0].integer == 1;
  d.limit = limit.count;
  d.remaining = static_cast<int>(r->elements[1].integer);
  d.retry_after = std::chrono::seconds(r->elements[2].integer);
  return d;
}

Status RedisRateLimiter::ping() {
  if (Status s = client_.ping(); !s) return unavailable(s.error());
  return {};
}

}  // namespace faceid::ratelimit
