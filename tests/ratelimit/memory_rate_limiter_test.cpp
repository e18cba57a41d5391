// Tests for MemoryRateLimiter: limits, sliding-window roll-over on a ManualClock, Retry-After,
// key isolation, bounded memory and concurrent use.
#include "ratelimit/memory_rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace faceid::ratelimit {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// 1699999200 is a multiple of 3600, so windows of a minute or an hour start at the clock's start.
const TimePoint kAlignedStart = TimePoint(seconds(1'699'999'200));
const RateLimit kTenPerMinute{10, minutes(1)};

class MemoryRateLimiterTest : public ::testing::Test {
 protected:
  // Hits `key` n times and returns how many were allowed.
  int hits(std::string_view key, const RateLimit& limit, int n) {
    int allowed = 0;
    for (int i = 0; i < n; ++i) {
      auto d = limiter_.hit(key, limit);
      EXPECT_TRUE(d.ok());
      if (d.ok() && d->allowed) ++allowed;
    }
    return allowed;
  }

  ManualClock clock_{kAlignedStart};
  MemoryRateLimiter limiter_{clock_};
};

TEST_F(MemoryRateLimiterTest, AllowsUpToTheLimitThenDenies) {
  for (int i = 0; i < 10; ++i) {
    auto d = limiter_.hit("login:1.2.3.4", kTenPerMinute);
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(d->allowed) << i;
    EXPECT_EQ(d->limit, 10);
    EXPECT_EQ(d->remaining, 9 - i);
    EXPECT_EQ(d->retry_after, seconds(0));
  }
  auto denied = limiter_.hit("login:1.2.3.4", kTenPerMinute);
  ASSERT_TRUE(denied.ok());
  EXPECT_FALSE(denied->allowed);
  EXPECT_EQ(denied->remaining, 0);
  EXPECT_GT(denied->retry_after, seconds(0));
}

TEST_F(MemoryRateLimiterTest, PreviousWindowWeighsInProportionallyAfterRollOver) {
  EXPECT_EQ(hits("k", kTenPerMinute, 10), 10);
  clock_.advance(seconds(60));  // new window, previous = 10 with full weight
  EXPECT_EQ(hits("k", kTenPerMinute, 3), 0);
  clock_.advance(seconds(30));  // half of the previous window still overlaps: 5 count
  EXPECT_EQ(hits("k", kTenPerMinute, 10), 5);
}

TEST_F(MemoryRateLimiterTest, BudgetIsFullAgainAfterTwoIdleWindows) {
  EXPECT_EQ(hits("k", kTenPerMinute, 12), 10);
  clock_.advance(minutes(2));
  EXPECT_EQ(hits("k", kTenPerMinute, 12), 10);
  clock_.advance(hours(5));
  EXPECT_EQ(hits("k", kTenPerMinute, 12), 10);
}

TEST_F(MemoryRateLimiterTest, NoBurstOfTwiceTheLimitAcrossAWindowEdge) {
  clock_.advance(seconds(59));
  EXPECT_EQ(hits("k", kTenPerMinute, 10), 10);
  clock_.advance(seconds(2));  // a fixed window would allow 10 more here
  EXPECT_LE(hits("k", kTenPerMinute, 10), 1);
}

TEST_F(MemoryRateLimiterTest, RetryAfterIsExactlyWhenTheNextHitIsAllowed) {
  EXPECT_EQ(hits("k", kTenPerMinute, 10), 10);
  auto denied = limiter_.hit("k", kTenPerMinute);
  ASSERT_TRUE(denied.ok());
  ASSERT_FALSE(denied->allowed);
  // Full window of 10 at t=0: next window at t=60, then 10 * (1 - e/60) + 1 <= 10 at e=6.
  EXPECT_EQ(denied->retry_after, seconds(66));
  clock_.advance(denied->retry_after - seconds(1));
  EXPECT_FALSE(limiter_.hit("k", kTenPerMinute)->allowed);
  clock_.advance(seconds(1));
  EXPECT_TRUE(limiter_.hit("k", kTenPerMinute)->allowed);
}

TEST_F(MemoryRateLimiterTest, DeniedHitsAreNotCounted) {
  EXPECT_EQ(hits("k", kTenPerMinute, 10), 10);
  EXPECT_EQ(hits("k", kTenPerMinute, 1000), 0);  // hammering while denied
  clock_.advance(minutes(2));
  EXPECT_EQ(hits("k", kTenPerMinute, 10), 10);
}

TEST_F(MemoryRateLimiterTest, KeysAreIsolated) {
  EXPECT_EQ(hits("login:10.0.0.1", kTenPerMinute, 15), 10);
  EXPECT_EQ(hits("login:10.0.0.2", kTenPerMinute, 15), 10);
  EXPECT_EQ(hits("register:10.0.0.1", RateLimit{5, hours(1)}, 15), 5);
}

TEST_F(MemoryRateLimiterTest, ChangingTheWindowOfAKeyStartsAFreshCounter) {
  EXPECT_EQ(hits("k", kTenPerMinute, 10), 10);
  EXPECT_EQ(hits("k", RateLimit{10, hours(1)}, 10), 10);
}

TEST_F(MemoryRateLimiterTest, InvalidLimitIsAnError) {
  auto zero = limiter_.hit("k", RateLimit{0, minutes(1)});
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().code, "invalid_rate_limit");
  EXPECT_FALSE(limiter_.hit("k", RateLimit{5, seconds(0)}).ok());
  EXPECT_TRUE(limiter_.ping().ok());
}

TEST_F(MemoryRateLimiterTest, ExpiredKeysAreEvictedDuringHits) {
  for (int i = 0; i < 500; ++i) limiter_.hit("ip:" + std::to_string(i), kTenPerMinute);
  EXPECT_EQ(limiter_.size(), 500u);
  clock_.advance(minutes(3));  // past both windows and the sweep interval
  for (int i = 0; i < 200; ++i) limiter_.hit("fresh:" + std::to_string(i), kTenPerMinute);
  EXPECT_EQ(limiter_.size(), 200u);
}

TEST(MemoryRateLimiterBounds, KeyCountNeverExceedsTheCap) {
  ManualClock clock(kAlignedStart);
  MemoryRateLimiter limiter(clock, MemoryRateLimiterOptions{seconds(60), 64});
  for (int i = 0; i < 10'000; ++i) limiter.hit("ip:" + std::to_string(i), kTenPerMinute);
  EXPECT_LE(limiter.size(), 64u);
}

TEST(MemoryRateLimiterConcurrency, ExactlyTheLimitIsAllowedAcrossThreads) {
  ManualClock clock(kAlignedStart);
  MemoryRateLimiter limiter(clock);
  constexpr int kThreads = 8;
  constexpr int kHitsPerThread = 2000;
  const RateLimit limit{5000, hours(1)};
  std::atomic<int> allowed_shared{0};
  std::atomic<int> allowed_per_thread{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kHitsPerThread; ++i) {
        if (limiter.hit("shared", limit)->allowed) ++allowed_shared;
        // Each thread also has its own key with room for all of its hits.
        if (limiter.hit("own:" + std::to_string(t), limit)->allowed) ++allowed_per_thread;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed_shared.load(), 5000);
  EXPECT_EQ(allowed_per_thread.load(), kThreads * kHitsPerThread);
  EXPECT_EQ(limiter.size(), static_cast<std::size_t>(kThreads + 1));
}

}  // namespace
}  // namespace faceid::ratelimit
