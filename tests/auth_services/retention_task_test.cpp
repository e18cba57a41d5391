// The retention task purges only records older than the retention period (time injected).
#include "auth/retention_task.h"

#include <gtest/gtest.h>

#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace faceid::auth {
namespace {

TEST(RetentionTaskTest, PurgesAttemptsOlderThanTheRetentionPeriodOnly) {
  faceid::testing::TempDir dir;
  auto store = store::SqliteStore::open(dir.file("faceid.db"));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->migrate().ok());
  ManualClock clock;
  for (int days_ago : {40, 31, 29, 1}) {
    store::LoginAttempt a;
    a.ip = "10.0.0.1";
    a.reason = "no_match";
    a.created_at = clock.now() - std::chrono::hours(24 * days_ago);
    ASSERT_TRUE((*store)->record_failed_attempt(a).ok());
  }
  // The task also purges once in its own thread at start; run_once is then a no-op.
  RetentionTask task(**store, clock, std::chrono::hours(24 * 30), std::chrono::hours(1),
                     observability::Logger::null());
  for (int i = 0; i < 200; ++i) {
    auto left = (*store)->failed_attempts_since(clock.now() - std::chrono::hours(24 * 100), 10);
    if (left->size() == 2u) break;
    usleep(5000);
  }
  auto left = (*store)->failed_attempts_since(clock.now() - std::chrono::hours(24 * 100), 10);
  EXPECT_EQ(left->size(), 2u);
  EXPECT_EQ(*task.run_once(), 0);
  clock.advance(std::chrono::hours(24 * 2));
  EXPECT_EQ(*task.run_once(), 1);  // the 29-day-old one is now 31 days old
}

}  // namespace
}  // namespace faceid::auth
