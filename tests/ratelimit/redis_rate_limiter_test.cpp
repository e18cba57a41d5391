// RedisRateLimiter against a real Redis (the faceid_backends fixture, or a private one for
// outages): the same decisions as the in-process limiter, counts shared by every limiter on
// the same Redis (replicas), fail-closed errors while Redis is down, recovery without restart.
#include "ratelimit/redis_rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "redis/redis_client.h"
#include "support/backends.h"

namespace faceid::ratelimit {
namespace {

using faceid::testing::Backends;

using faceid::testing::quick_redis_client;

TEST(RedisUrlTest, ParsesHostPortPasswordAndDatabase) {
  auto u = redis::parse_redis_url("redis://:s3cret@cache.internal:6380/7");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "cache.internal");
  EXPECT_EQ(u->port, 6380);
  EXPECT_EQ(u->password, "s3cret");
  EXPECT_EQ(u->db, 7);
  auto acl = redis::parse_redis_url("redis://app:pw@h");
  EXPECT_EQ(acl->user, "app");
  EXPECT_EQ(acl->port, 6379);
  EXPECT_FALSE(redis::parse_redis_url("http://h").ok());
  EXPECT_FALSE(redis::parse_redis_url("redis://h:notaport").ok());
}

TEST(RedisRateLimiterTest, AllowsUpToTheLimitThenDeniesWithRetryAfter) {
  auto client = quick_redis_client(Backends::shared().fresh_redis_url());
  RedisRateLimiter limiter(*client);
  const RateLimit limit{3, std::chrono::seconds(60)};
  for (int i = 0; i < 3; ++i) {
    auto d = limiter.hit("login:10.0.0.1", limit);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_TRUE(d->allowed) << i;
    EXPECT_EQ(d->limit, 3);
    EXPECT_GE(d->remaining, 0);
  }
  auto denied = limiter.hit("login:10.0.0.1", limit);
  ASSERT_TRUE(denied.ok());
  EXPECT_FALSE(denied->allowed);
  EXPECT_GE(denied->retry_after.count(), 1);
  EXPECT_LE(denied->retry_after.count(), 120);
  EXPECT_TRUE(limiter.hit("login:10.0.0.2", limit)->allowed);  // other clients unaffected
  EXPECT_TRUE(limiter.ping().ok());
}

TEST(RedisRateLimiterTest, TwoReplicasShareOneBudgetUnderConcurrency) {
  std::string url = Backends::shared().fresh_redis_url();
  auto a = quick_redis_client(url);
  auto b = quick_redis_client(url);
  RedisRateLimiter first(*a), second(*b);
  const RateLimit limit{20, std::chrono::seconds(3600)};
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      RedisRateLimiter& l = t % 2 == 0 ? first : second;
      for (int i = 0; i < 15; ++i) {
        auto d = l.hit("register:10.0.0.9", limit);
        if (d.ok() && d->allowed) ++allowed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 20);  // 60 hits, one shared budget of 20: atomic in the script
}

TEST(RedisRateLimiterTest, FailsWhileRedisIsDownAndRecoversWithoutRestart) {
  auto backends = Backends::start_private();
  auto client = quick_redis_client(backends->fresh_redis_url());
  RedisRateLimiter limiter(*client);
  const RateLimit limit{100, std::chrono::seconds(60)};
  ASSERT_TRUE(limiter.hit("k", limit).ok());
  backends->kill_redis();
  auto down = limiter.hit("k", limit);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, "rate_limiter_unavailable");
  EXPECT_FALSE(limiter.ping().ok());
  backends->start_redis();
  bool recovered = false;
  for (int i = 0; i < 100 && !recovered; ++i) {  // the backoff is at most 200 ms here
    recovered = limiter.hit("k", limit).ok();
    if (!recovered) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(recovered);
  EXPECT_TRUE(limiter.ping().ok());
}

}  // namespace
}  // namespace faceid::ratelimit
