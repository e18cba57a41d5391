// ChallengeStore in Redis, so a challenge issued by one replica can be answered on any other,
// exactly once. One hash per challenge, "<prefix><id>" = {data: JSON, taken: 0|1}, expiring
// a grace period after the challenge does (as the in-process store forgets it), so a reuse
// is still recognised as one for a while. take() is one Lua script: read and mark in one
// atomic step on the server, so two replicas racing on the same id cannot both win.
// Errors: challenge_store_unavailable (503) while Redis cannot answer; requests fail closed.
// Thread-safety: as RedisClient (any thread).
#pragma once

#include <chrono>
#include <string>

#include "common/clock.h"
#include "liveness/challenge_store.h"

namespace faceid::redis {
class RedisClient;
}

namespace faceid::liveness {

class RedisChallengeStore final : public ChallengeStore {
 public:
  // `client` must outlive this object.
  RedisChallengeStore(redis::RedisClient& client, const Clock& clock,
                      std::chrono::seconds reuse_memory = std::chrono::seconds(600),
                      std::string prefix = "faceid:challenge:");

  Status put(const Challenge& c) override;
  Result<std::optional<TakenChallenge>> take(const std::string& id) override;

 private:
  redis::RedisClient& client_;
  const Clock& clock_;
  const std::chrono::seconds reuse_memory_;  // how long after expiry an id is remembered
  const std::string prefix_;
};

}  // namespace faceid::liveness
