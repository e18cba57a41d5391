// SessionService: issues access + refresh token pairs, rotates refresh tokens (each use
// revokes the old one; reuse of a revoked one revokes its whole family) and logs out.
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

 private:
  AuthContext& ctx_;
};

}  // namespace faceid::auth
