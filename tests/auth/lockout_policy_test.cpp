// Tests for the lockout rules: who can lock an account, how a single client is slowed instead,
// lock duration and self-expiry.
#include "auth/lockout_policy.h"

#include <gtest/gtest.h>

namespace faceid::auth {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kNow = TimePoint(seconds(1'700'000'000));

LockoutOptions options() {
  LockoutOptions o;
  o.max_failures = 10;
  o.min_clients = 3;
  o.lock_duration = minutes(30);
  o.free_attempts = 3;
  o.base_delay = seconds(2);
  o.max_delay = minutes(15);
  return o;
}
LockoutPolicy policy() { return LockoutPolicy(options()); }

TEST(LockoutPolicy, FarOffFacesFromOneClientNeverLock) {
  EXPECT_FALSE(policy().evaluate({.total = 500, .clients = 1, .close = 0}, kNow).lock);
  EXPECT_FALSE(policy().evaluate({.total = 500, .clients = 2, .close = 9}, kNow).lock);
}

TEST(LockoutPolicy, LocksOnFailuresFromManyClients) {
  LockDecision d = policy().evaluate({.total = 10, .clients = 3, .close = 0}, kNow);
  EXPECT_TRUE(d.lock);
  EXPECT_STREQ(d.rule, "many_clients");
  ASSERT_TRUE(d.locked_until.has_value());
  EXPECT_EQ(*d.locked_until, kNow + minutes(30));
  EXPECT_FALSE(policy().evaluate({.total = 9, .clients = 9, .close = 0}, kNow).lock);
}

TEST(LockoutPolicy, LocksOnCloseButWrongFacesEvenFromOneClient) {
  LockDecision d = policy().evaluate({.total = 10, .clients = 1, .close = 10}, kNow);
  EXPECT_TRUE(d.lock);
  EXPECT_STREQ(d.rule, "close_faces");
}

TEST(LockoutPolicy, CloseDistanceScalesTheThreshold) {
  EXPECT_DOUBLE_EQ(policy().close_distance(0.6), 0.75);
}

TEST(LockoutPolicy, NonPositiveMaximumDisablesLockout) {
  LockoutOptions o = options();
  o.max_failures = 0;
  EXPECT_FALSE(LockoutPolicy(o).evaluate({.total = 100, .clients = 50, .close = 100}, kNow).lock);
}

TEST(LockoutPolicy, ClientDelayDoublesAfterFreeAttemptsAndIsCapped) {
  EXPECT_EQ(policy().client_delay(0), seconds(0));
  EXPECT_EQ(policy().client_delay(2), seconds(0));
  EXPECT_EQ(policy().client_delay(3), seconds(2));
  EXPECT_EQ(policy().client_delay(4), seconds(4));
  EXPECT_EQ(policy().client_delay(7), seconds(32));
  EXPECT_EQ(policy().client_delay(12), minutes(15));
  EXPECT_EQ(policy().client_delay(1'000'000), minutes(15));
}

TEST(LockoutPolicy, ThrottledUntilCountsFromTheLastFailure) {
  EXPECT_FALSE(policy().throttled_until({.count = 2, .last_at = kNow}, kNow));
  auto until = policy().throttled_until({.count = 4, .last_at = kNow - seconds(1)}, kNow);
  ASSERT_TRUE(until.has_value());
  EXPECT_EQ(*until, kNow + seconds(3));
  EXPECT_FALSE(policy().throttled_until({.count = 4, .last_at = kNow - seconds(4)}, kNow));
}

TEST(LockoutPolicy, LockExpiresByItselfAtLockedUntil) {
  ManualClock clock(kNow);
  const auto until =
      policy().evaluate({.total = 10, .clients = 3, .close = 0}, clock.now()).locked_until;
  EXPECT_TRUE(is_locked(until, clock.now()));
  clock.advance(minutes(29) + seconds(59));
  EXPECT_TRUE(is_locked(until, clock.now()));
  clock.advance(seconds(1));
  EXPECT_FALSE(is_locked(until, clock.now()));
}

TEST(LockoutPolicy, NoLockedUntilMeansUnlocked) { EXPECT_FALSE(is_locked(std::nullopt, kNow)); }

}  // namespace
}  // namespace faceid::auth

namespace faceid::auth {
namespace {

TEST(ClientNetworks, AddressesCountOncePerIpv4Slash24AndIpv6Slash64) {
  EXPECT_EQ(client_networks({}), 0);
  EXPECT_EQ(client_networks({"203.0.113.1", "203.0.113.200", "203.0.113.7"}), 1);
  EXPECT_EQ(client_networks({"10.0.1.1", "10.0.2.1", "10.0.3.1"}), 3);
  EXPECT_EQ(client_networks({"2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:3::1"}), 2);
  EXPECT_EQ(client_networks({"cli", "cli", "203.0.113.1"}), 2);
}

}  // namespace
}  // namespace faceid::auth
