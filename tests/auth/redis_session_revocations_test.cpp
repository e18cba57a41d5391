// RedisSessionRevocations against a real Redis: a session ended on one replica is refused by
// another within milliseconds, and a replica cut off from Redis catches up from the store
// when it resubscribes.
#include "auth/redis_session_revocations.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "redis/redis_client.h"
#include "support/backends.h"

namespace faceid::auth {
namespace {

using faceid::testing::Backends;
using std::chrono::milliseconds;

using faceid::testing::quick_redis_client;

// Polls `cond` for up to two seconds.
template <typename F>
bool eventually(F cond) {
  for (int i = 0; i < 200; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return cond();
}

RedisSessionRevocations::CatchUp nothing() {
  return [] { return std::vector<std::pair<std::string, TimePoint>>{}; };
}

TEST(RedisSessionRevocationsTest, SessionEndedOnOneReplicaIsRefusedByTheOther) {
  SystemClock clock;
  std::string url = Backends::shared().fresh_redis_url();
  auto ca = quick_redis_client(url), cb = quick_redis_client(url);
  RedisSessionRevocations a(*ca, clock, nothing()), b(*cb, clock, nothing());
  std::this_thread::sleep_for(milliseconds(200));  // both subscribed
  a.revoke("fam-1", clock.now() + std::chrono::minutes(30));
  EXPECT_TRUE(a.is_revoked("fam-1"));
  EXPECT_TRUE(eventually([&] { return b.is_revoked("fam-1"); }));
  EXPECT_FALSE(b.is_revoked("fam-2"));
}

TEST(RedisSessionRevocationsTest, StartUpAndEveryResubscriptionCatchUpFromTheStore) {
  SystemClock clock;
  auto backends = Backends::start_private();
  std::string url = backends->fresh_redis_url();
  auto client = quick_redis_client(url);
  std::atomic<int> loads{0};
  std::vector<std::pair<std::string, TimePoint>> in_store = {
      {"ended-before-start", clock.now() + std::chrono::minutes(5)}};
  std::mutex mu;
  RedisSessionRevocations r(*client, clock, [&] {
    ++loads;
    std::lock_guard lock(mu);
    return in_store;
  });
  EXPECT_TRUE(r.is_revoked("ended-before-start"));      // loaded in the constructor
  EXPECT_TRUE(eventually([&] { return loads >= 2; }));  // and once subscribed
  backends->kill_redis();
  {
    std::lock_guard lock(mu);  // another replica ends a session while this one is cut off
    in_store.emplace_back("ended-during-outage", clock.now() + std::chrono::minutes(5));
  }
  backends->start_redis();
  EXPECT_TRUE(eventually([&] { return r.is_revoked("ended-during-outage"); }));
}

}  // namespace
}  // namespace faceid::auth
