// In-process revocation set with lazy expiry.
#include "auth/memory_session_revocations.h"

#include <algorithm>

namespace faceid::auth {

namespace {
constexpr std::chrono::seconds kPruneEvery{60};
}  // namespace

void MemorySessionRevocations::revoke(const std::string& session_id, TimePoint forget_after) {
  TimePoint now = clock_.now();
  std::lock_guard lock(mu_);
  auto& until = revoked_[session_id];
  until = std::max(until, forget_after);
  if (now >= next_prune_) prune(now);
}

bool MemorySessionRevocations::is_revoked(const std::string& session_id) {
  std::lock_guard lock(mu_);
  return revoked_.contains(session_id);
}

std::size_t MemorySessionRevocations::size() {
  std::lock_guard lock(mu_);
  return revoked_.size();
}

void MemorySessionRevocations::prune(TimePoint now) {
  std::erase_if(revoked_, [now](const auto& entry) { return entry.second <= now; });
  next_prune_ = now + kPruneEvery;
}

}  // namespace faceid::auth
