// FaceAuthService: signs people in with their face. login() is 1:N (the face alone finds the
// account), verify() is 1:1 (a username plus the face, and the password in face+password
// mode). Every failure is recorded, counts toward lockout when it names an account, and
// reaches the client as one generic authentication_failed (no enumeration).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/auth_context.h"
#include "auth/face_evidence.h"
#include "auth/refusal_summary.h"
#include "auth/session_service.h"

namespace faceid::auth {

struct AuthSuccess {
  store::User user;
  SessionTokens tokens;
  double confidence = 0;
  double distance = 0;
  std::optional<double> liveness;
  std::vector<std::string> amr;  // how the face was proven (also in the access token)
};

class FaceAuthService {
 public:
  FaceAuthService(AuthContext& ctx, SessionService& sessions);

  // Errors: face codes (invalid_image, no_face_detected, ...), liveness_failed, the liveness
  // challenge's codes (analyze_evidence), authentication_failed; verify also validation_error
  // and too_many_attempts (this client failed too often against this username: see
  // LockoutPolicy).
  // login: face-only 1:N when `hints` is empty (identifier_required when the FPIR budget
  // cannot be met at the current number of accounts: face/match_calibration.h), else 1:k over
  // the accounts the hints name (usernames or emails of accounts that signed in on the same
  // browser or machine; unknown ones are ignored).
  Result<AuthSuccess> login(const FaceEvidence& face, const std::vector<std::string>& hints,
                            const ClientInfo& client);
  Result<AuthSuccess> verify(const std::string& username, const FaceEvidence& face,
                             const std::optional<std::string>& password, const ClientInfo& client);

  // Whether login() without hints is answered at the current number of accounts (the page
  // asks for the identifier before the capture when it is not).
  Result<bool> face_only_available();

  // Records a refused-by-rate-limit attempt (called by the API's rate limiter): the first of
  // each client's minute as an attempt row, the rest in memory (RefusalSummary).
  void record_rate_limited(const ClientInfo& client);

 private:
  // The engine plus the liveness gate; failures are recorded and counted here.
  Result<AnalyzedFace> analyze(const FaceEvidence& evidence, const char* mode,
                               const ClientInfo& client, const std::optional<store::User>& named);
  // `distance`: the face's distance to the named account (or the nearest one), if compared.
  void record_failure(const std::string& reason, const std::optional<store::User>& user,
                      const std::optional<std::string>& username_tried,
                      std::optional<double> distance, std::optional<double> liveness,
                      const ClientInfo& client);
  // How long this client must wait before trying this account again; nullopt: not at all.
  std::optional<std::chrono::seconds> throttled(const std::optional<store::User>& user,
                                                const std::string& username,
                                                const ClientInfo& client);
  void maybe_lock(const store::User& user, const ClientInfo& client);
  Result<std::vector<store::User>> resolve_hints(const std::vector<std::string>& hints);
  // The face-only threshold at the current census; nullopt: face-only is off.
  Result<std::optional<double>> face_only_threshold();
  Result<AuthSuccess> succeed(const store::User& user, double distance, const AnalyzedFace& probe,
                              const char* mode, const ClientInfo& client);

  AuthContext& ctx_;
  SessionService& sessions_;
  LockoutPolicy lockout_;
  std::string dummy_hash_;
  RefusalSummary refusals_;  // rate-limited requests: one attempt row per client and minute  //
                             // verified against when a username is unknown (equal timing)
};

}  // namespace faceid::auth
