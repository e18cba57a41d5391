// The bounded pool refuses at once when full; connection caps per address and in total.
#include "http/work_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "http/connection_limits.h"

namespace faceid::http {
namespace {

TEST(WorkPoolTest, FullQueueRefusesAtOnceAndQueuedWorkStillRuns) {
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::atomic<int> done{0};
  {
    WorkPool pool(1, 2);
    std::promise<void> started;
    ASSERT_TRUE(pool.try_submit([&] {
      started.set_value();
      gate.wait();
      ++done;
    }));
    started.get_future().wait();  // the one worker is busy
    EXPECT_TRUE(pool.try_submit([&] { ++done; }));
    EXPECT_TRUE(pool.try_submit([&] { ++done; }));
    EXPECT_FALSE(pool.try_submit([&] { ++done; }));  // queue of 2 is full
    EXPECT_EQ(pool.queued(), 2u);
    release.set_value();
  }  // the destructor runs what was queued
  EXPECT_EQ(done.load(), 3);
}

TEST(ConnectionLimitsTest, CapsPerAddressAndInTotalAndExemptsTrustedProxies) {
  ConnectionLimits limits(4, 2, {"10.0.0.1"});
  EXPECT_TRUE(limits.try_acquire("1.1.1.1"));
  EXPECT_TRUE(limits.try_acquire("1.1.1.1"));
  EXPECT_FALSE(limits.try_acquire("1.1.1.1"));
  EXPECT_TRUE(limits.try_acquire("10.0.0.1"));
  EXPECT_TRUE(limits.try_acquire("10.0.0.1"));  // a proxy carries many clients
  EXPECT_FALSE(limits.try_acquire("2.2.2.2"));  // total of 4 reached
  limits.release("1.1.1.1");
  EXPECT_TRUE(limits.try_acquire("2.2.2.2"));
  EXPECT_EQ(limits.total(), 4u);
}

}  // namespace
}  // namespace faceid::http
