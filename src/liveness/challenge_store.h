// ChallengeStore: where issued challenges wait for their single response. A seam: in memory
// for one process (memory_challenge_store.h), shared storage (Redis) for several replicas.
// Implementations are thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "liveness/challenge.h"

namespace faceid::liveness {

// What take() found.
struct TakenChallenge {
  Challenge challenge;
  bool already_taken = false;  // a second (or later) response to the same challenge
};

class ChallengeStore {
 public:
  virtual ~ChallengeStore() = default;
  // Keeps `c` until c.expires_at (plus a grace period in which reuse stays recognisable).
  virtual Status put(const Challenge& c) = 0;
  // Atomically marks the challenge used and returns it; nullopt when the id was never
  // issued or has been forgotten. Errors only when the storage cannot answer.
  virtual Result<std::optional<TakenChallenge>> take(const std::string& id) = 0;
};

using ChallengeStorePtr = std::unique_ptr<ChallengeStore>;

}  // namespace faceid::liveness
