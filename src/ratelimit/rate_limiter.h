// RateLimiter: the seam between request handling and where hit counters live (in-process now,
// Redis later). A key names who is limited for what, e.g. "login:203.0.113.7".
// Thread-safety: implementations must be safe to call from any number of request threads.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include "common/result.h"

namespace faceid::ratelimit {

// At most `count` hits per `window` (e.g. 10 per 60 s for "10/minute").
struct RateLimit {
  int count;
  std::chrono::seconds window;
};

struct RateDecision {
  bool allowed;                      // false: answer 429
  int limit;                         // the RateLimit's count (X-RateLimit-Limit)
  int remaining;                     // hits still allowed now (X-RateLimit-Remaining), >= 0
  std::chrono::seconds retry_after;  // when denied: wait at least this long (Retry-After); else 0
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;

  // Counts one hit against `key` under `limit` and says whether it is allowed. A denied hit is
  // not counted, so a client that keeps hammering is not locked out beyond the window.
  // Use one RateLimit per key (put the route in the key). Errors: "rate_limiter_unavailable"
  // when the backing store cannot be reached (callers decide whether to fail open or closed).
  virtual Result<RateDecision> hit(std::string_view key, const RateLimit& limit) = 0;

  // Health check for /ready: OK when the limiter can serve hits.
  virtual Status ping() = 0;
};

using RateLimiterPtr = std::unique_ptr<RateLimiter>;

}  // namespace faceid::ratelimit
