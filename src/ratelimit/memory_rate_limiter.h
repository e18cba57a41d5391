// MemoryRateLimiter: an in-process RateLimiter using the sliding-window counter (the previous
// fixed window's count weighted by how much of it still overlaps the sliding window, plus the
// current window's count). Smooth at window edges, O(1) time and two counters per key.
// Thread-safety: safe for concurrent hit() calls. Keys are spread over kShards shards, each
// with its own mutex guarding its map, so threads contend only when their keys share a shard.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "ratelimit/rate_limiter.h"

namespace faceid::ratelimit {

struct MemoryRateLimiterOptions {
  // How often each shard drops keys whose counters have both expired (checked inside hit()).
  std::chrono::seconds sweep_interval{60};
  // Hard cap on tracked keys across all shards; beyond it a shard first sweeps, then drops an
  // arbitrary key (that key's client gets a fresh budget: degraded, but memory stays bounded).
  std::size_t max_keys = 1'000'000;
};

class MemoryRateLimiter final : public RateLimiter {
 public:
  static constexpr std::size_t kShards = 16;

  // `clock` must outlive the limiter.
  explicit MemoryRateLimiter(const Clock& clock, MemoryRateLimiterOptions options = {});

  Result<RateDecision> hit(std::string_view key, const RateLimit& limit) override;
  Status ping() override { return Status::Ok(); }

  // Number of keys currently tracked (for tests and metrics).
  std::size_t size() const;

 private:
  struct Counter {
    std::chrono::seconds window{0};  // the limit's window this counter was made for
    TimePoint window_start;          // start of the current fixed window
    int previous = 0;                // hits in the window before window_start
    int current = 0;                 // hits since window_start
  };

  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Counter, KeyHash, std::equal_to<>> counters;  // guarded by mu
    TimePoint next_sweep;                                                         // guarded by mu
  };

  Shard& shard_for(std::string_view key);
  void maybe_sweep(Shard& shard, TimePoint now);  // requires shard.mu held
  void make_room(Shard& shard, TimePoint now);    // requires shard.mu held

  const Clock& clock_;
  const MemoryRateLimiterOptions options_;
  std::array<Shard, kShards> shards_;
};

}  // namespace faceid::ratelimit
