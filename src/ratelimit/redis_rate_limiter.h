// RedisRateLimiter: the RateLimiter shared by every replica. The same sliding-window counter
// as MemoryRateLimiter, evaluated by one Lua script per hit inside Redis, so read-decide-count
// is atomic across replicas and the window follows the Redis server's clock (replicas' clocks
// may differ). Keys expire on their own after two windows.
// Errors: "rate_limiter_unavailable" when Redis cannot be reached (the caller fails closed
// unless RATE_LIMIT_FAIL_OPEN). Thread-safety: safe for concurrent hit() calls.
#pragma once

#include <string>

#include "ratelimit/rate_limiter.h"

namespace faceid::redis {
class RedisClient;
}

namespace faceid::ratelimit {

class RedisRateLimiter final : public RateLimiter {
 public:
  // `client` must outlive the limiter. `prefix` namespaces the keys ("faceid:rl:").
  explicit RedisRateLimiter(redis::RedisClient& client, std::string prefix = "faceid:rl:");

  Result<RateDecision> hit(std::string_view key, const RateLimit& limit) override;
  Status ping() override;

 private:
  redis::RedisClient& client_;
  const std::string prefix_;
};

}  // namespace faceid::ratelimit
