// RefusalSummary: requests refused by a rate limit, counted in memory per client and minute.
// A flood of refusals must not become a flood of attempt rows (one row per client and minute
// is kept for the audit; the rest are counted and logged as one summary line). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "common/clock.h"

namespace faceid::auth {

class RefusalSummary {
 public:
  static constexpr std::chrono::minutes kWindow{1};
  static constexpr std::size_t kMaxClients = 10'000;  // then ended windows are dropped

  struct Outcome {
    bool first = false;            // the first refusal of this client in its window: record it
    std::int64_t ended_count = 0;  // > 0: the client's previous window ended with this many
  };
  Outcome refuse(const std::string& client, TimePoint now);

 private:
  struct Window {
    TimePoint start;
    std::int64_t count = 0;
  };
  std::mutex mu_;
  std::map<std::string, Window> windows_;  // guarded by mu_
};

}  // namespace faceid::auth
