// Challenge issuing and single-use redemption, with an injected clock.
#include "liveness/challenge_service.h"

#include <gtest/gtest.h>

#include <set>

#include "liveness/memory_challenge_store.h"

namespace faceid::liveness {
namespace {

class ChallengeServiceTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  MemoryChallengeStore store_{clock_};
  ChallengeService service_{store_, clock_};
};

TEST_F(ChallengeServiceTest, ChallengesAskTwoOrThreeAllowedActionsNeverTheSameTwiceInARow) {
  std::set<std::string> ids;
  std::set<size_t> sizes;
  std::set<Action> seen;
  for (int i = 0; i < 300; ++i) {
    auto c = service_.issue("10.0.0.1");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->id.size(), 32u);
    ids.insert(c->id);
    sizes.insert(c->actions.size());
    for (size_t k = 0; k < c->actions.size(); ++k) {
      seen.insert(c->actions[k]);
      if (k > 0) EXPECT_NE(c->actions[k], c->actions[k - 1]);
    }
    EXPECT_EQ(c->expires_at - c->issued_at, std::chrono::seconds(60));
  }
  EXPECT_EQ(ids.size(), 300u);
  EXPECT_EQ(sizes, (std::set<size_t>{2, 3}));
  EXPECT_EQ(seen, (std::set<Action>{Action::kTurnLeft, Action::kTurnRight, Action::kBlink}));
}

TEST_F(ChallengeServiceTest, AChallengeIsRedeemedOnceByItsClientBeforeItExpires) {
  auto c = service_.issue("10.0.0.1");
  ASSERT_TRUE(c.ok());
  auto first = service_.redeem(c->id, "10.0.0.1");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->actions, c->actions);
  EXPECT_EQ(service_.redeem(c->id, "10.0.0.1").error().code, "challenge_reused");
}

TEST_F(ChallengeServiceTest, ExpiredUnknownAndOtherClientsChallengesAreRefused) {
  auto c = service_.issue("10.0.0.1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(service_.redeem("0123456789abcdef0123456789abcdef", "10.0.0.1").error().code,
            "challenge_invalid");
  EXPECT_EQ(service_.redeem(c->id, "10.0.0.2").error().code, "challenge_invalid");

  auto late = service_.issue("10.0.0.1");
  ASSERT_TRUE(late.ok());
  clock_.advance(std::chrono::seconds(61));
  EXPECT_EQ(service_.redeem(late->id, "10.0.0.1").error().code, "challenge_expired");
  // Long after expiry the id is forgotten.
  clock_.advance(std::chrono::hours(1));
  ASSERT_TRUE(service_.issue("10.0.0.1").ok());  // put() sweeps
  EXPECT_EQ(service_.redeem(late->id, "10.0.0.1").error().code, "challenge_invalid");
}

TEST(ActionNamesTest, RoundTrip) {
  for (Action a : {Action::kTurnLeft, Action::kTurnRight, Action::kLookUp, Action::kBlink}) {
    EXPECT_EQ(parse_action(action_name(a)), a);
  }
  EXPECT_FALSE(parse_action("smile").has_value());
}

}  // namespace
}  // namespace faceid::liveness
