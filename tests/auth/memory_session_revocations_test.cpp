// The in-process revocation set: ended sessions are refused until their tokens expire.
#include "auth/memory_session_revocations.h"

#include <gtest/gtest.h>

namespace faceid::auth {
namespace {

using std::chrono::minutes;

TEST(MemorySessionRevocations, RevokedSessionsAreRefusedOthersNot) {
  ManualClock clock;
  MemorySessionRevocations set(clock);
  EXPECT_FALSE(set.is_revoked("s1"));
  set.revoke("s1", clock.now() + minutes(30));
  EXPECT_TRUE(set.is_revoked("s1"));
  EXPECT_FALSE(set.is_revoked("s2"));
}

TEST(MemorySessionRevocations, EntriesAreDroppedOnceTheirTokensExpired) {
  ManualClock clock;
  MemorySessionRevocations set(clock);
  set.revoke("old", clock.now() + minutes(30));
  clock.advance(minutes(31));
  set.revoke("new", clock.now() + minutes(30));
  EXPECT_FALSE(set.is_revoked("old"));
  EXPECT_TRUE(set.is_revoked("new"));
  EXPECT_EQ(set.size(), 1u);
}

TEST(MemorySessionRevocations, ALaterRevocationKeepsTheLongerExpiry) {
  ManualClock clock;
  MemorySessionRevocations set(clock);
  set.revoke("s", clock.now() + minutes(30));
  set.revoke("s", clock.now() + minutes(5));
  clock.advance(minutes(10));
  set.revoke("other", clock.now() + minutes(30));  // triggers a prune
  clock.advance(minutes(1));
  set.revoke("other2", clock.now() + minutes(30));
  EXPECT_TRUE(set.is_revoked("s"));
}

}  // namespace
}  // namespace faceid::auth
