// RedisChallengeStore against a real Redis (the faceid_backends fixture, or a private one for
// the outage): single use across store instances (replicas), exact round trip of a challenge,
// expiry, and fail-closed errors (challenge_store_unavailable, 503) while Redis is down.
#include "liveness/redis_challenge_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "redis/redis_client.h"
#include "support/backends.h"

namespace faceid::liveness {
namespace {

using faceid::testing::Backends;

using faceid::testing::quick_redis_client;

Challenge make_challenge(const Clock& clock, const std::string& id,
                         std::chrono::seconds lifetime = std::chrono::seconds(60)) {
  Challenge c;
  c.id = id;
  c.actions = {Action::kTurnLeft, Action::kBlink, Action::kLookUp};
  c.client_ip = "10.0.0.7";
  c.issued_at = clock.now();
  c.expires_at = c.issued_at + lifetime;
  return c;
}

TEST(RedisChallengeStoreTest, TakesOnceThenReportsAlreadyTaken) {
  auto client = quick_redis_client(Backends::shared().fresh_redis_url());
  SystemClock clock;
  RedisChallengeStore store(*client, clock);
  Challenge c = make_challenge(clock, "a1b2c3");
  ASSERT_TRUE(store.put(c).ok());

  auto first = store.take("a1b2c3");
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(first->has_value());
  EXPECT_FALSE((*first)->already_taken);
  const Challenge& got = (*first)->challenge;
  EXPECT_EQ(got.id, c.id);
  EXPECT_EQ(got.actions, c.actions);
  EXPECT_EQ(got.client_ip, c.client_ip);
  EXPECT_EQ(got.issued_at, c.issued_at);  // exact, to the clock's tick
  EXPECT_EQ(got.expires_at, c.expires_at);

  auto second = store.take("a1b2c3");
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(second->has_value());
  EXPECT_TRUE((*second)->already_taken);
  EXPECT_EQ((*second)->challenge.id, c.id);
}

TEST(RedisChallengeStoreTest, UnknownIdIsNullopt) {
  auto client = quick_redis_client(Backends::shared().fresh_redis_url());
  SystemClock clock;
  RedisChallengeStore store(*client, clock);
  auto r = store.take("never-issued");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->has_value());
}

TEST(RedisChallengeStoreTest, ReplicasShareChallengesAndSingleUse) {
  std::string url = Backends::shared().fresh_redis_url();
  auto ca = quick_redis_client(url);
  auto cb = quick_redis_client(url);
  SystemClock clock;
  RedisChallengeStore a(*ca, clock), b(*cb, clock);
  ASSERT_TRUE(a.put(make_challenge(clock, "shared1")).ok());

  auto on_b = b.take("shared1");
  ASSERT_TRUE(on_b.ok());
  ASSERT_TRUE(on_b->has_value());
  EXPECT_FALSE((*on_b)->already_taken);
  auto on_a = a.take("shared1");
  ASSERT_TRUE(on_a.ok());
  ASSERT_TRUE(on_a->has_value());
  EXPECT_TRUE((*on_a)->already_taken);
}

TEST(RedisChallengeStoreTest, ConcurrentTakesOnTwoReplicasHaveOneWinner) {
  std::string url = Backends::shared().fresh_redis_url();
  auto ca = quick_redis_client(url);
  auto cb = quick_redis_client(url);
  SystemClock clock;
  RedisChallengeStore a(*ca, clock), b(*cb, clock);
  const int kChallenges = 20;
  for (int i = 0; i < kChallenges; ++i) {
    ASSERT_TRUE(a.put(make_challenge(clock, "race" + std::to_string(i))).ok());
  }
  std::atomic<int> fresh{0}, reused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      RedisChallengeStore& s = t % 2 == 0 ? a : b;
      for (int i = 0; i < kChallenges; ++i) {
        auto r = s.take("race" + std::to_string(i));
        if (!r.ok() || !r->has_value()) continue;
        ++((*r)->already_taken ? reused : fresh);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(fresh.load(), kChallenges);  // exactly one winner per challenge
  EXPECT_EQ(reused.load(), 3 * kChallenges);
}

TEST(RedisChallengeStoreTest, ForgetsChallengesAfterExpiryPlusGrace) {
  auto client = quick_redis_client(Backends::shared().fresh_redis_url());
  SystemClock clock;
  // No grace: the key lives exactly as long as the challenge.
  RedisChallengeStore store(*client, clock, std::chrono::seconds(0));
  ASSERT_TRUE(store.put(make_challenge(clock, "short", std::chrono::seconds(1))).ok());
  ASSERT_TRUE(store.put(make_challenge(clock, "long", std::chrono::seconds(60))).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  auto gone = store.take("short");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  auto kept = store.take("long");
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->has_value());
}

TEST(RedisChallengeStoreTest, ExpiryIsCountedFromTheInjectedClock) {
  auto client = quick_redis_client(Backends::shared().fresh_redis_url());
  ManualClock clock;  // far in the past for Redis: the TTL must be relative, not absolute
  RedisChallengeStore store(*client, clock, std::chrono::seconds(5));
  ASSERT_TRUE(store.put(make_challenge(clock, "manual")).ok());
  auto ttl = client->command({"PTTL", "faceid:challenge:manual"});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->integer, 60'000);  // lifetime 60 s + grace 5 s
  EXPECT_LE(ttl->integer, 65'000);
}

TEST(RedisChallengeStoreTest, FailsClosedWhileRedisIsDownAndRecovers) {
  auto backends = Backends::start_private();
  auto client = quick_redis_client(backends->fresh_redis_url());
  SystemClock clock;
  RedisChallengeStore store(*client, clock);
  ASSERT_TRUE(store.put(make_challenge(clock, "before")).ok());
  backends->kill_redis();
  Status put = store.put(make_challenge(clock, "during"));
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, "challenge_store_unavailable");
  auto take = store.take("before");
  ASSERT_FALSE(take.ok());
  EXPECT_EQ(take.error().code, "challenge_store_unavailable");
  backends->start_redis();
  bool recovered = false;
  for (int i = 0; i < 100 && !recovered; ++i) {  // the backoff is at most 200 ms here
    recovered = store.put(make_challenge(clock, "after")).ok();
    if (!recovered) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(recovered);
  auto after = store.take("after");
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->has_value());
}

}  // namespace
}  // namespace faceid::liveness
