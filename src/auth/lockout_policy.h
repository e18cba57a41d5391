// Account lockout rules, as pure logic over failure times: after max_failures failed attempts
// within the window the account locks for lock_duration, then unlocks by itself.
// Thread-safe: LockoutPolicy is immutable after construction.
#pragma once

#include <chrono>
#include <optional>
#include <span>

#include "common/clock.h"

namespace faceid::auth {

struct LockoutOptions {
  int max_failures = 10;                                         // MAX_FAILED_LOGIN_ATTEMPTS
  std::chrono::seconds window{std::chrono::hours(1)};            // failures counted over this
  std::chrono::seconds lock_duration{std::chrono::minutes(30)};  // ACCOUNT_LOCK_MINUTES
};

struct LockDecision {
  bool lock = false;                      // true: lock the account now
  std::optional<TimePoint> locked_until;  // set when lock is true
  int failures_in_window = 0;             // failures counted (for logs and metrics)
};

class LockoutPolicy {
 public:
  explicit LockoutPolicy(LockoutOptions options) : options_(options) {}

  // Failures at or after this instant count; a store can query "failures since window_start".
  TimePoint window_start(TimePoint now) const { return now - options_.window; }

  // `recent_failures`: the account's failure times, including the one just recorded; entries
  // outside [now - window, now] are ignored, order does not matter.
  LockDecision evaluate(std::span<const TimePoint> recent_failures, TimePoint now) const;
  // Same, when the store has already counted the failures since window_start(now).
  LockDecision evaluate(int failures_in_window, TimePoint now) const;

  const LockoutOptions& options() const { return options_; }

 private:
  LockoutOptions options_;
};

// True while `locked_until` lies in the future; a lock expires by itself at locked_until.
bool is_locked(std::optional<TimePoint> locked_until, TimePoint now);

}  // namespace faceid::auth
