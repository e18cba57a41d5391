// LockoutPolicy: counts failures inside the sliding window and decides whether to lock.
#include "auth/lockout_policy.h"

#include <algorithm>

namespace faceid::auth {

LockDecision LockoutPolicy::evaluate(std::span<const TimePoint> recent_failures,
                                     TimePoint now) const {
  const TimePoint start = window_start(now);
  const auto in_window = std::count_if(recent_failures.begin(), recent_failures.end(),
                                       [&](TimePoint t) { return t >= start && t <= now; });
  return evaluate(static_cast<int>(in_window), now);
}

LockDecision LockoutPolicy::evaluate(int failures_in_window, TimePoint now) const {
  LockDecision decision;
  decision.failures_in_window = failures_in_window;
  // max_failures <= 0 disables lockout rather than locking on every request.
  if (options_.max_failures > 0 && failures_in_window >= options_.max_failures) {
    decision.lock = true;
    decision.locked_until = now + options_.lock_duration;
  }
  return decision;
}

bool is_locked(std::optional<TimePoint> locked_until, TimePoint now) {
  return locked_until.has_value() && now < *locked_until;
}

}  // namespace faceid::auth
