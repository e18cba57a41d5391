// Sliding-window counter, per key:
//   estimate = previous * (1 - elapsed / window) + current
// where `current` counts hits in the fixed window that started `elapsed` ago and `previous`
// those of the window before it. A hit is allowed when estimate + 1 <= limit. This smooths the
// burst a fixed window allows at its edges (up to 2x the limit) at the cost of assuming the
// previous window's hits were spread evenly; Cloudflare measured the error as negligible.
#include "ratelimit/memory_rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace faceid::ratelimit {
namespace {

using Seconds = std::chrono::duration<double>;

// Absorbs floating-point noise in the weighted estimate (e.g. 10 * (1 - 6/60) = 9.000...02),
// so a hit exactly at the Retry-After instant is allowed.
constexpr double kEpsilon = 1e-9;

TimePoint align_down(TimePoint now, std::chrono::seconds window) {
  const auto since_epoch = now.time_since_epoch();
  return TimePoint(since_epoch - since_epoch % window);
}

std::chrono::seconds ceil_seconds(double s) {
  return std::chrono::seconds(
      std::max<long long>(1, static_cast<long long>(std::ceil(s - kEpsilon))));
}

// How long a denied client must wait until estimate + 1 <= count holds again.
std::chrono::seconds retry_after(int previous, int current, int count, double elapsed,
                                 double window) {
  if (current >= count) {
    // Wait for this window to end; then `current` becomes the weighted previous count and must
    // decay until current * (1 - e / window) + 1 <= count.
    const double decay = window * (1.0 - static_cast<double>(count - 1) / current);
    return ceil_seconds(window - elapsed + decay);
  }
  // Only the previous window's weighted share is in the way: wait until it has decayed enough.
  const double needed = window * (1.0 - static_cast<double>(count - 1 - current) / previous);
  return ceil_seconds(std::min(needed - elapsed, window - elapsed));
}

}  // namespace

MemoryRateLimiter::MemoryRateLimiter(const Clock& clock, MemoryRateLimiterOptions options)
    : clock_(clock), options_(options) {}

MemoryRateLimiter::Shard& MemoryRateLimiter::shard_for(std::string_view key) {
  return shards_[KeyHash{}(key) % kShards];
}

Result<RateDecision> MemoryRateLimiter::hit(std::string_view key, const RateLimit& limit) {
  if (limit.count <= 0 || limit.window <= std::chrono::seconds::zero()) {
    return make_error("invalid_rate_limit", "rate limit count and window must be positive");
  }
  const TimePoint now = clock_.now();
  const TimePoint aligned = align_down(now, limit.window);
  Shard& shard = shard_for(key);
  std::lock_guard lock(shard.mu);
  maybe_sweep(shard, now);

  auto it = shard.counters.find(key);
  if (it == shard.counters.end()) {
    make_room(shard, now);
    it = shard.counters.emplace(std::string(key), Counter{limit.window, aligned, 0, 0}).first;
  }
  Counter& c = it->second;
  if (c.window != limit.window) c = Counter{limit.window, aligned, 0, 0};  // limit changed
  if (aligned == c.window_start + limit.window) {  // rolled into the next window
    c = Counter{limit.window, aligned, c.current, 0};
  } else if (aligned > c.window_start) {  // idle for more than a whole window
    c = Counter{limit.window, aligned, 0, 0};
  }  // aligned < window_start only if the clock stepped back: keep counting in the newer window

  const double window = Seconds(limit.window).count();
  const double elapsed = std::clamp(Seconds(now - c.window_start).count(), 0.0, window);
  const double estimate = c.previous * (1.0 - elapsed / window) + c.current;

  RateDecision decision{false, limit.count, 0, std::chrono::seconds::zero()};
  if (estimate + 1.0 <= limit.count + kEpsilon) {
    ++c.current;
    decision.allowed = true;
    decision.remaining =
        std::max(0, static_cast<int>(std::floor(limit.count - estimate - 1.0 + kEpsilon)));
  } else {
    decision.retry_after = retry_after(c.previous, c.current, limit.count, elapsed, window);
  }
  return decision;
}

void MemoryRateLimiter::maybe_sweep(Shard& shard, TimePoint now) {
  if (now < shard.next_sweep) return;
  // A counter whose current window ended a full window ago holds nothing that still counts.
  std::erase_if(shard.counters, [&](const auto& entry) {
    const Counter& c = entry.second;
    return now >= c.window_start + 2 * c.window;
  });
  shard.next_sweep = now + options_.sweep_interval;
}

void MemoryRateLimiter::make_room(Shard& shard, TimePoint now) {
  const std::size_t cap = std::max<std::size_t>(1, options_.max_keys / kShards);
  if (shard.counters.size() < cap) return;
  shard.next_sweep = now;  // force a sweep
  maybe_sweep(shard, now);
  if (shard.counters.size() >= cap) shard.counters.erase(shard.counters.begin());
}

std::size_t MemoryRateLimiter::size() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    total += shard.counters.size();
  }
  return total;
}

}  // namespace faceid::ratelimit
