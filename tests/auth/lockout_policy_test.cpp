// Tests for the lockout rules: counting inside the window, lock duration, self-expiry.
#include "auth/lockout_policy.h"

#include <gtest/gtest.h>

#include <vector>

namespace faceid::auth {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kNow = TimePoint(seconds(1'700'000'000));

LockoutPolicy policy() { return LockoutPolicy({3, hours(1), minutes(30)}); }

TEST(LockoutPolicy, LocksWhenFailuresInWindowReachTheMaximum) {
  std::vector<TimePoint> failures = {kNow - minutes(50), kNow - minutes(10), kNow};
  LockDecision d = policy().evaluate(failures, kNow);
  EXPECT_TRUE(d.lock);
  EXPECT_EQ(d.failures_in_window, 3);
  ASSERT_TRUE(d.locked_until.has_value());
  EXPECT_EQ(*d.locked_until, kNow + minutes(30));
}

TEST(LockoutPolicy, DoesNotLockBelowTheMaximum) {
  std::vector<TimePoint> failures = {kNow - minutes(10), kNow};
  LockDecision d = policy().evaluate(failures, kNow);
  EXPECT_FALSE(d.lock);
  EXPECT_FALSE(d.locked_until.has_value());
  EXPECT_EQ(d.failures_in_window, 2);
}

TEST(LockoutPolicy, FailuresOlderThanTheWindowDoNotCount) {
  std::vector<TimePoint> failures = {kNow - hours(2), kNow - minutes(61), kNow - minutes(5), kNow};
  LockDecision d = policy().evaluate(failures, kNow);
  EXPECT_FALSE(d.lock);
  EXPECT_EQ(d.failures_in_window, 2);
}

TEST(LockoutPolicy, CountBasedEvaluationMatchesListBased) {
  EXPECT_TRUE(policy().evaluate(3, kNow).lock);
  EXPECT_TRUE(policy().evaluate(7, kNow).lock);
  EXPECT_FALSE(policy().evaluate(2, kNow).lock);
  EXPECT_EQ(policy().window_start(kNow), kNow - hours(1));
}

TEST(LockoutPolicy, NonPositiveMaximumDisablesLockout) {
  LockoutPolicy off({0, hours(1), minutes(30)});
  EXPECT_FALSE(off.evaluate(100, kNow).lock);
}

TEST(LockoutPolicy, LockExpiresByItselfAtLockedUntil) {
  ManualClock clock(kNow);
  const auto until = policy().evaluate(3, clock.now()).locked_until;
  EXPECT_TRUE(is_locked(until, clock.now()));
  clock.advance(minutes(29) + seconds(59));
  EXPECT_TRUE(is_locked(until, clock.now()));
  clock.advance(seconds(1));
  EXPECT_FALSE(is_locked(until, clock.now()));
}

TEST(LockoutPolicy, NoLockedUntilMeansUnlocked) { EXPECT_FALSE(is_locked(std::nullopt, kNow)); }

}  // namespace
}  // namespace faceid::auth
