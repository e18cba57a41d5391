// In-process ChallengeStore: a map guarded by one mutex, swept of long-expired entries on
// every put(). Bounded: past max_entries the oldest challenges are dropped (issuing is
// rate-limited per client, this caps what many clients together can make it hold).
#pragma once

#include <chrono>
#include <map>
#include <mutex>

#include "common/clock.h"
#include "liveness/challenge_store.h"

namespace faceid::liveness {

class MemoryChallengeStore final : public ChallengeStore {
 public:
  explicit MemoryChallengeStore(const Clock& clock, size_t max_entries = 100000,
                                std::chrono::seconds reuse_memory = std::chrono::seconds(600));

  Status put(const Challenge& c) override;
  Result<std::optional<TakenChallenge>> take(const std::string& id) override;

 private:
  struct Entry {
    Challenge challenge;
    bool taken = false;
  };
  void sweep(TimePoint now);  // requires mu_

  const Clock& clock_;
  const size_t max_entries_;
  const std::chrono::seconds reuse_memory_;  // how long after expiry an id is remembered
  std::mutex mu_;
  std::map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace faceid::liveness
