// MemorySessionRevocations: the in-process set of ended sessions (one replica). Entries are
// dropped once every access token of the session has expired, so the set stays as small as
// the number of sessions ended within one access-token lifetime.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "auth/session_revocations.h"

namespace faceid::auth {

class MemorySessionRevocations final : public SessionRevocations {
 public:
  explicit MemorySessionRevocations(const Clock& clock) : clock_(clock) {}

  void revoke(const std::string& session_id, TimePoint forget_after) override;
  bool is_revoked(const std::string& session_id) override;
  std::size_t size();

 private:
  void prune(TimePoint now);  // requires mu_

  const Clock& clock_;
  std::mutex mu_;  // guards revoked_ and next_prune_
  std::unordered_map<std::string, TimePoint> revoked_;
  TimePoint next_prune_{};
};

}  // namespace faceid::auth
