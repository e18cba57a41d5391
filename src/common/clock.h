// Clock: injected time (as LevelDB injects Env), so token expiry, lockout and rate windows
// are tested without sleeping.
#pragma once

#include <atomic>
#include <chrono>

namespace faceid {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
};

// A clock tests move by hand. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint(std::chrono::seconds(1'700'000'000)))
      : ticks_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint(TimePoint::duration(ticks_.load())); }
  void advance(std::chrono::system_clock::duration d) { ticks_ += d.count(); }

 private:
  std::atomic<TimePoint::rep> ticks_;
};

}  // namespace faceid
