// SessionService: issues access + refresh token pairs, rotates refresh tokens (each use
// revokes the old one; reuse of a revoked one revokes its whole family) and logs out. Access
// tokens name their family (session), so ending the family ends them too.
// Refresh tokens are stored only as SHA-256 hashes. Thread-safe (state lives in the store).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "auth/auth_context.h"

namespace faceid::auth {

struct SessionTokens {
  std::string access_token;
  std::string refresh_token;
  long long expires_in = 0;  // access token lifetime in seconds
};

class SessionService {
 public:
  explicit SessionService(AuthContext& ctx) : ctx_(ctx) {}

  // A new token family for a user who just proved who they are; `amr` says how (it goes into
  // the access token and, so that refreshes keep it, the refresh token).
  Result<SessionTokens> start(const store::User& user,
                              const std::vector<std::string>& amr = {"face"});
  // Errors: invalid_token (unknown, tampered, revoked/reused, user gone), token_expired.
  Result<SessionTokens> refresh(std::string_view refresh_token, const ClientInfo& client);
  // Revokes the token's family. Errors: invalid_token.
  Status logout(std::string_view refresh_token, const ClientInfo& client);
  // False once the access token's session has ended (logout, reuse): answered from memory.
  bool is_active(const TokenClaims& access) const;
  // Reloads the sessions ended within one access-token lifetime (at start-up).
  Status load_revocations();

 private:
  // Ends a session: in the revocation set at once, and in the store.
  Status end_session(const std::string& family_id, TimePoint now);

  AuthContext& ctx_;
};

}  // namespace faceid::auth
