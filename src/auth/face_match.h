// What a sign-in compares: a probe against accounts, each account by the distance to the mean
// of its templates (the fusion rule the LFW DET favours: docs/accuracy.md), and the census of
// accounts by template count that sizes a face-only search (face/match_calibration.h).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "face/face_engine.h"
#include "store/store.h"

namespace faceid::auth {

// The mean of several embeddings (one template per account, or one probe per capture).
face::Embedding mean_embedding(const std::vector<face::Embedding>& embeddings);

// An account compared with a probe.
struct AccountDistance {
  std::string user_id;
  float distance = 0;  // to the mean of the account's templates
  int templates = 0;
};

// The probe against one account's templates (templates of another model are ignored).
std::optional<AccountDistance> distance_to_account(
    const face::Embedding& probe, const std::string& user_id,
    const std::vector<store::FaceTemplate>& templates, const std::string& model_version);

// The probe against each account, nearest first; accounts without templates are left out.
Result<std::vector<AccountDistance>> rank_accounts(store::Store& store,
                                                   const face::Embedding& probe,
                                                   const std::vector<std::string>& user_ids,
                                                   const std::string& model_version);

// How many active accounts hold how many templates, cached: every face-only sign-in needs it,
// and counting is a scan of the templates. Re-read after kMaxAge or after invalidate() (an
// enrolment or deletion on this replica); other replicas' changes show within kMaxAge.
// Thread-safe.
class AccountCensus {
 public:
  static constexpr std::chrono::seconds kMaxAge{10};
  Result<std::vector<std::int64_t>> accounts_by_templates(store::Store& store, TimePoint now);
  void invalidate();

 private:
  std::mutex mu_;
  std::optional<std::vector<std::int64_t>> cached_;  // guarded by mu_
  TimePoint read_at_;                                // guarded by mu_
};

}  // namespace faceid::auth
