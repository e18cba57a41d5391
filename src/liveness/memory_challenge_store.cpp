// In-process challenge storage.
#include "liveness/memory_challenge_store.h"

#include <algorithm>

namespace faceid::liveness {

MemoryChallengeStore::MemoryChallengeStore(const Clock& clock, size_t max_entries,
                                           std::chrono::seconds reuse_memory)
    : clock_(clock), max_entries_(std::max<size_t>(1, max_entries)), reuse_memory_(reuse_memory) {}

void MemoryChallengeStore::sweep(TimePoint now) {
  std::erase_if(entries_, [&](const auto& kv) {
    return kv.second.challenge.expires_at + reuse_memory_ <= now;
  });
  while (entries_.size() >= max_entries_) {
    auto oldest =
        std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
          return a.second.challenge.issued_at < b.second.challenge.issued_at;
        });
    entries_.erase(oldest);
  }
}

Status MemoryChallengeStore::put(const Challenge& c) {
  std::lock_guard lock(mu_);
  sweep(clock_.now());
  entries_[c.id] = Entry{c, false};
  return {};
}

Result<std::optional<TakenChallenge>> MemoryChallengeStore::take(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::optional<TakenChallenge>();
  TakenChallenge out{it->second.challenge, it->second.taken};
  it->second.taken = true;
  return std::optional<TakenChallenge>(std::move(out));
}

}  // namespace faceid::liveness
