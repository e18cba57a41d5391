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

TEST(ConnectionLimitsTest, CapsPerNetworkSoManyAddressesOfOneNetworkCannotTakeEverySlot) {
  ConnectionLimits limits(100, 2, {"10.0.0.1"}, 3);
  EXPECT_TRUE(limits.try_acquire("127.0.0.2"));
  EXPECT_TRUE(limits.try_acquire("127.0.0.3"));
  EXPECT_TRUE(limits.try_acquire("127.0.0.4"));
  auto refused = limits.try_acquire("127.0.0.5");  // same /24
  EXPECT_FALSE(refused);
  EXPECT_EQ(refused.refused_by, ConnectionLimits::Cap::kNetwork);
  EXPECT_TRUE(limits.try_acquire("127.0.1.5"));  // another /24
  EXPECT_EQ(limits.try_acquire("127.0.1.5").refused_by, ConnectionLimits::Cap::kNone);
  EXPECT_EQ(limits.try_acquire("127.0.1.5").refused_by, ConnectionLimits::Cap::kAddress);
  limits.release("127.0.0.3");
  EXPECT_TRUE(limits.try_acquire("127.0.0.9"));
  // IPv6 counts per /64.
  EXPECT_EQ(network_of("2001:db8:1:2:aaaa::1"), network_of("2001:db8:1:2:bbbb::7"));
  EXPECT_NE(network_of("2001:db8:1:2::1"), network_of("2001:db8:1:3::1"));
  EXPECT_EQ(network_of("192.168.7.200"), "192.168.7.0/24");
}

}  // namespace
}  // namespace faceid::http
