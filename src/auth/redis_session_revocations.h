// RedisSessionRevocations: the ended-sessions set kept in step across replicas. Each replica
// answers is_revoked() from its own memory (no network on the request path, as the seam
// demands); revoke() adds locally and PUBLISHes to a Redis channel every replica subscribes
// to. After every (re)subscription the replica reloads the sessions ended within one access
// token lifetime from the store (`catch_up`), so revocations made while it was cut off from
// Redis are not missed.
// Thread-safety: revoke() and is_revoked() may be called from any thread; the subscriber
// thread only adds entries.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "auth/memory_session_revocations.h"

namespace faceid::redis {
class RedisClient;
class Subscription;
}  // namespace faceid::redis

namespace faceid::auth {

class RedisSessionRevocations final : public SessionRevocations {
 public:
  // (session id, forget_after) pairs the store says ended recently.
  using CatchUp = std::function<std::vector<std::pair<std::string, TimePoint>>()>;

  // Loads `catch_up()` once now, then subscribes. `client` must outlive this object.
  RedisSessionRevocations(redis::RedisClient& client, const Clock& clock, const CatchUp& catch_up);
  ~RedisSessionRevocations() override;

  void revoke(const std::string& session_id, TimePoint forget_after) override;
  bool is_revoked(const std::string& session_id) override;

 private:
  void load(const CatchUp& catch_up);

  redis::RedisClient& client_;
  const std::string channel_;
  MemorySessionRevocations local_;
  std::unique_ptr<redis::Subscription> subscription_;
};

}  // namespace faceid::auth
