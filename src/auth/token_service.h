// JWT access and refresh tokens (libjwt, HMAC-SHA2) with expiry checked against the injected
// Clock, plus helpers to store refresh tokens hashed and compare secrets in constant time.
// Thread-safe: a TokenService is immutable after construction; any number of threads may call
// it at once (libjwt objects are created per call).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace faceid::auth {

// Who the bearer of an access token is allowed to be.
enum class Role { kUser, kAdmin };
std::string_view role_name(Role role);  // "user" | "admin"

// Which kind of token a caller expects; carried in the "type" claim.
enum class TokenType { kAccess, kRefresh };
std::string_view token_type_name(TokenType type);  // "access" | "refresh"

struct TokenOptions {
  std::string secret;               // HMAC key; production config insists on >= 32 bytes
  std::string algorithm = "HS256";  // "HS256" | "HS384" | "HS512"
  std::chrono::seconds access_ttl{std::chrono::minutes(30)};
  std::chrono::seconds refresh_ttl{std::chrono::hours(24 * 7)};
};

struct IssuedToken {
  std::string token;     // the compact JWT
  std::string jti;       // its unique id (UUID-like, random)
  TimePoint expires_at;  // equals the "exp" claim (whole seconds)
};

// What verify() found in a valid token.
struct TokenClaims {
  std::string subject;  // "sub": the user id
  std::string jti;      // "jti"
  TokenType type = TokenType::kAccess;
  Role role = Role::kUser;  // access tokens only ("role"); kUser for refresh tokens
  std::string family_id;    // "fam": the session (refresh-token family), in both kinds
  // "amr" (RFC 8176 style): how the person proved who they are at sign-in, e.g. ["face"] or
  // ["face", "liveness_challenge"]; carried by refresh tokens so a refresh keeps it.
  std::vector<std::string> amr;
  TimePoint issued_at;   // "iat"
  TimePoint expires_at;  // "exp"
  // "auth_time" (OpenID Connect): when the person last proved who they are (a sign-in, not a
  // refresh, which carries it on); absent in tokens issued before it existed.
  std::optional<TimePoint> auth_time;
};

class TokenService {
 public:
  // Errors: "invalid_config" naming the problem (unknown algorithm, empty secret, ttl <= 0).
  static Status validate(const TokenOptions& options);
  // Returns the service, or validate()'s error.
  static Result<TokenService> create(TokenOptions options, const Clock& clock);
  // Precondition: validate(options).ok(); throws std::invalid_argument otherwise (a start-up
  // configuration bug, not a request-time failure). `clock` must outlive the service.
  TokenService(TokenOptions options, const Clock& clock);

  // Access token: sub, jti, iat, exp = now + access_ttl, role, fam = the session (refresh
  // family) it belongs to, type "access", and "amr" when `amr` is not empty. Throws
  // std::bad_alloc only if libjwt cannot allocate.
  // "auth_time" is `auth_time`, or now (a sign-in) when absent.
  IssuedToken issue_access(std::string_view user_id, Role role, std::string_view session_id,
                           const std::vector<std::string>& amr = {},
                           std::optional<TimePoint> auth_time = std::nullopt) const;
  // Refresh token: sub, jti, fam, iat, exp = now + refresh_ttl, type "refresh" (and "amr",
  // "auth_time" as for access tokens).
  IssuedToken issue_refresh(std::string_view user_id, std::string_view family_id,
                            const std::vector<std::string>& amr = {},
                            std::optional<TimePoint> auth_time = std::nullopt) const;

  // Checks the signature with the configured algorithm only (alg "none" and every other alg
  // are rejected), the claims' presence and types, the "type" claim, then "exp" against the
  // injected clock (expired when now >= exp).
  // Errors: "invalid_token" (malformed, bad signature, wrong alg or type, missing claims),
  // "token_expired".
  Result<TokenClaims> verify(std::string_view token, TokenType expected_type) const;

  // Random 128-bit id formatted like a UUID v4 (used for jti; callers use it for family ids).
  static std::string new_token_id();
  // Lower-case hex SHA-256 of a token: what the store keeps instead of the refresh token.
  static std::string token_hash(std::string_view token);
  // Constant-time equality (sodium_memcmp); different lengths compare unequal at once.
  static bool constant_time_equal(std::string_view a, std::string_view b);

  std::chrono::seconds access_ttl() const { return options_.access_ttl; }
  std::chrono::seconds refresh_ttl() const { return options_.refresh_ttl; }

 private:
  IssuedToken issue(std::string_view user_id, TokenType type, std::chrono::seconds ttl,
                    std::string_view role, std::string_view family_id,
                    const std::vector<std::string>& amr, std::optional<TimePoint> auth_time) const;

  TokenOptions options_;
  int jwt_alg_;  // libjwt's jwt_alg_t, kept as int so jwt.h stays out of this header
  const Clock* clock_;
};

}  // namespace faceid::auth
