// What the authentication services share: their dependencies (owned by main, outliving the
// services) and the policy knobs taken from Config.
#pragma once

#include <memory>
#include <string>
#include <type_traits>

#include "auth/face_match.h"
#include "auth/lockout_policy.h"
#include "auth/session_revocations.h"
#include "auth/token_service.h"
#include "common/clock.h"
#include "face/face_engine.h"
#include "face/match_calibration.h"
#include "observability/auth_metrics.h"
#include "observability/logger.h"
#include "store/store.h"

namespace faceid::liveness {
class ChallengeVerifier;
}

namespace faceid::auth {

// LIVENESS_CHALLENGE: whether sign-in and enrolment accept (optional), demand (required) or
// refuse (off) an active liveness challenge response instead of a single photo.
enum class ChallengeMode { kOff, kOptional, kRequired };

struct AuthSettings {
  // Every match threshold comes from the model's calibration table and the configured error
  // rates (face/match_calibration.h). Null only in tests that never compare faces.
  std::shared_ptr<const face::MatchCalibration> calibration;
  // The 1:1 distance for an account with one template, read off `calibration` at start-up:
  // the scale of confidence scores and of lockout's "close" misses.
  double tolerance = 0.6;
  bool liveness_enabled = true;
  double liveness_threshold = 0.7;
  bool reject_duplicate_faces = true;
  bool verify_requires_password = false;  // AUTH_MODE=face+password
  LockoutOptions lockout;
  // A 1:N probe whose nearest account lies within tolerance + this margin is a "near miss" and
  // counts as a failure against that account (lockout), though it does not sign in.
  double near_miss_margin = 0.1;
  // Two different accounts both within tolerance and closer to each other's distance than this
  // make the result ambiguous: refuse rather than guess.
  double ambiguity_margin = 0.06;
  int max_templates = 5;
  int search_candidates = 5;
  // Sign-in hints (accounts that signed in on the same browser or machine) per attempt.
  int max_hints = 5;
  ChallengeMode challenge_mode = ChallengeMode::kOptional;
};

// Who is asking, for attempt records and audit lines.
struct ClientInfo {
  std::string ip;
  std::string user_agent;
  std::string correlation_id;
};

struct AuthContext {
  store::Store& store;
  face::FaceEngine& engine;
  const TokenService& tokens;
  const Clock& clock;
  observability::AuthMetrics& metrics;
  observability::LoggerPtr logger;
  AuthSettings settings;
  SessionRevocations& revocations;
  // The active liveness challenge; null when the service runs without one (challenges off).
  liveness::ChallengeVerifier* challenges = nullptr;
  // Accounts by template count (sizes face-only search); shared by the services.
  std::shared_ptr<AccountCensus> census = std::make_shared<AccountCensus>();
};

// The generic refusal for every failed sign-in: the same body whatever the cause, so a
// caller cannot tell an unknown face from a locked account.
inline Error authentication_failed() {
  return make_error("authentication_failed", "Authentication failed");
}

// One client kept failing against one account: it waits, the account's owner does not.
inline Error too_many_attempts(std::chrono::seconds retry_after) {
  Error e = make_error("too_many_attempts", "Too many failed attempts: try again later");
  e.retry_after_seconds = static_cast<int>(retry_after.count());
  return e;
}

// Face-only sign-in is off at this number of accounts (the FPIR budget cannot be met): the
// caller names the account (a username or email as a hint) and signs in 1:1.
inline Error identifier_required() {
  return make_error("identifier_required",
                    "Face-only sign-in is not available here: give your username or email");
}

inline Error liveness_failed() {
  return make_error("liveness_failed", "Liveness check failed: present a live face");
}

// The liveness gate shared by enrolment and sign-in: true when liveness is off or the face
// reaches the threshold; counts the check either way.
inline bool liveness_passes(AuthContext& ctx, const face::FaceResult& face) {
  if (!ctx.settings.liveness_enabled) return true;
  bool passed = face.liveness.value_or(0.0) >= ctx.settings.liveness_threshold;
  ctx.metrics.liveness(passed);
  return passed;
}

// The store keeps the engine's embeddings as they are.
static_assert(std::is_same_v<face::Embedding, store::Vector128>);

}  // namespace faceid::auth
