// Fused distances and the account census; see face_match.h.
#include "auth/face_match.h"

#include <algorithm>

namespace faceid::auth {

face::Embedding mean_embedding(const std::vector<face::Embedding>& embeddings) {
  face::Embedding mean{};
  if (embeddings.empty()) return mean;
  for (const auto& e : embeddings) {
    for (int i = 0; i < face::kEmbeddingDim; ++i) mean[i] += e[i];
  }
  for (float& v : mean) v /= static_cast<float>(embeddings.size());
  return mean;
}

std::optional<AccountDistance> distance_to_account(
    const face::Embedding& probe, const std::string& user_id,
    const std::vector<store::FaceTemplate>& templates, const std::string& model_version) {
  std::vector<face::Embedding> own;
  for (const auto& t : templates) {
    if (t.model_version == model_version) own.push_back(t.embedding);
  }
  if (own.empty()) return std::nullopt;
  return AccountDistance{user_id, face::embedding_distance(probe, mean_embedding(own)),
                         static_cast<int>(own.size())};
}

Result<std::vector<AccountDistance>> rank_accounts(store::Store& store,
                                                   const face::Embedding& probe,
                                                   const std::vector<std::string>& user_ids,
                                                   const std::string& model_version) {
  std::vector<AccountDistance> ranked;
  for (const auto& id : user_ids) {
    auto templates = store.templates_for_user(id);
    if (!templates) return templates.error();
    if (auto d = distance_to_account(probe, id, *templates, model_version)) ranked.push_back(*d);
  }
  std::sort(ranked.begin(), ranked.end(), [](const AccountDistance& a, const AccountDistance& b) {
    return a.distance < b.distance;
  });
  return ranked;
}

Result<std::vector<std::int64_t>> AccountCensus::accounts_by_templates(store::Store& store,
                                                                       TimePoint now) {
  std::lock_guard lock(mu_);
  if (cached_ && now - read_at_ < kMaxAge && now >= read_at_) return *cached_;
  auto counts = store.accounts_by_template_count();
  if (!counts) return counts.error();
  cached_ = std::move(*counts);
  read_at_ = now;
  return *cached_;
}

void AccountCensus::invalidate() {
  std::lock_guard lock(mu_);
  cached_.reset();
}

}  // namespace faceid::auth
