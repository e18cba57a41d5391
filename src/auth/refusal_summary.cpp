// See refusal_summary.h.
#include "auth/refusal_summary.h"

namespace faceid::auth {

RefusalSummary::Outcome RefusalSummary::refuse(const std::string& client, TimePoint now) {
  std::lock_guard lock(mu_);
  Outcome out;
  auto it = windows_.find(client);
  if (it != windows_.end() && now - it->second.start < kWindow) {
    ++it->second.count;
    return out;
  }
  if (it != windows_.end()) out.ended_count = it->second.count;
  if (it == windows_.end() && windows_.size() >= kMaxClients) {
    std::erase_if(windows_, [&](const auto& w) { return now - w.second.start >= kWindow; });
  }
  windows_[client] = Window{now, 1};
  out.first = true;
  return out;
}

}  // namespace faceid::auth
