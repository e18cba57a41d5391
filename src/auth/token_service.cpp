// TokenService on libjwt 1.10: tokens are built and signature-checked by libjwt; this file adds
// what libjwt 1.10 leaves to the caller: pinning the algorithm, the claim checks and the expiry
// test against the injected Clock (libjwt 1.10 does not look at "exp" at all).
#include "auth/token_service.h"

#include <jwt.h>
#include <sodium.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "auth/sodium_init.h"

namespace faceid::auth {
namespace {

constexpr std::size_t kMaxTokenBytes = 8192;  // far above any token we issue; caps parse work

constexpr const char* kClaimSubject = "sub";
constexpr const char* kClaimId = "jti";
constexpr const char* kClaimIssuedAt = "iat";
constexpr const char* kClaimExpires = "exp";
constexpr const char* kClaimRole = "role";
constexpr const char* kClaimType = "type";
constexpr const char* kClaimFamily = "fam";
constexpr const char* kClaimAmr = "amr";
constexpr const char* kClaimAuthTime = "auth_time";

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

struct JwtStringDeleter {
  void operator()(char* s) const { std::free(s); }  // libjwt 1.10 strings come from malloc
};
using JwtString = std::unique_ptr<char, JwtStringDeleter>;

jwt_alg_t parse_algorithm(std::string_view name) {
  if (name == "HS256") return JWT_ALG_HS256;
  if (name == "HS384") return JWT_ALG_HS384;
  if (name == "HS512") return JWT_ALG_HS512;
  return JWT_ALG_INVAL;
}

long long to_unix_seconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

TimePoint from_unix_seconds(long long s) { return TimePoint(std::chrono::seconds(s)); }

Error invalid_token(std::string detail) {
  return make_error("invalid_token", "the token is invalid", {std::move(detail)});
}

// A string claim, or nullptr when absent or not a string.
const char* string_claim(jwt_t* jwt, const char* name) {
  const char* value = jwt_get_grant(jwt, name);
  return (value != nullptr && *value != '\0') ? value : nullptr;
}

// An integer claim; false when absent or not an integer (libjwt reports that through errno).
bool int_claim(jwt_t* jwt, const char* name, long* out) {
  errno = 0;
  long value = jwt_get_grant_int(jwt, name);
  if (errno != 0) return false;
  *out = value;
  return true;
}

}  // namespace

std::string_view role_name(Role role) { return role == Role::kAdmin ? "admin" : "user"; }

std::string_view token_type_name(TokenType type) {
  return type == TokenType::kRefresh ? "refresh" : "access";
}

Status TokenService::validate(const TokenOptions& options) {
  if (parse_algorithm(options.algorithm) == JWT_ALG_INVAL) {
    return make_error("invalid_config", "unsupported token algorithm",
                      {"ALGORITHM must be HS256, HS384 or HS512"});
  }
  if (options.secret.empty()) {
    return make_error("invalid_config", "the token secret is empty", {"SECRET_KEY"});
  }
  if (options.access_ttl <= std::chrono::seconds::zero() ||
      options.refresh_ttl <= std::chrono::seconds::zero()) {
    return make_error("invalid_config", "token lifetimes must be positive");
  }
  if (!ensure_sodium_initialized()) {
    return make_error("crypto_unavailable", "the cryptography library failed to initialise");
  }
  return Status::Ok();
}

Result<TokenService> TokenService::create(TokenOptions options, const Clock& clock) {
  if (Status status = validate(options); !status.ok()) return status.error();
  return TokenService(std::move(options), clock);
}

TokenService::TokenService(TokenOptions options, const Clock& clock)
    : options_(std::move(options)), jwt_alg_(parse_algorithm(options_.algorithm)), clock_(&clock) {
  if (Status status = validate(options_); !status.ok()) {
    throw std::invalid_argument(status.error().message);
  }
}

IssuedToken TokenService::issue_access(std::string_view user_id, Role role,
                                       std::string_view session_id,
                                       const std::vector<std::string>& amr,
                                       std::optional<TimePoint> auth_time) const {
  return issue(user_id, TokenType::kAccess, options_.access_ttl, role_name(role), session_id, amr,
               auth_time);
}

IssuedToken TokenService::issue_refresh(std::string_view user_id, std::string_view family_id,
                                        const std::vector<std::string>& amr,
                                        std::optional<TimePoint> auth_time) const {
  return issue(user_id, TokenType::kRefresh, options_.refresh_ttl, {}, family_id, amr, auth_time);
}

IssuedToken TokenService::issue(std::string_view user_id, TokenType type, std::chrono::seconds ttl,
                                std::string_view role, std::string_view family_id,
                                const std::vector<std::string>& amr,
                                std::optional<TimePoint> auth_time) const {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::bad_alloc();
  JwtPtr jwt(raw);

  const long long issued_at = to_unix_seconds(clock_->now());
  const long long expires = issued_at + ttl.count();
  IssuedToken out{{}, new_token_id(), from_unix_seconds(expires)};

  const std::string subject(user_id);
  int rc = jwt_add_grant(jwt.get(), kClaimSubject, subject.c_str());
  rc |= jwt_add_grant(jwt.get(), kClaimId, out.jti.c_str());
  rc |= jwt_add_grant_int(jwt.get(), kClaimIssuedAt, static_cast<long>(issued_at));
  rc |= jwt_add_grant_int(jwt.get(), kClaimExpires, static_cast<long>(expires));
  rc |= jwt_add_grant_int(jwt.get(), kClaimAuthTime,
                          static_cast<long>(auth_time ? to_unix_seconds(*auth_time) : issued_at));
  rc |= jwt_add_grant(jwt.get(), kClaimType, std::string(token_type_name(type)).c_str());
  if (!role.empty()) rc |= jwt_add_grant(jwt.get(), kClaimRole, std::string(role).c_str());
  if (!family_id.empty()) {
    rc |= jwt_add_grant(jwt.get(), kClaimFamily, std::string(family_id).c_str());
  }
  if (!amr.empty()) {
    rc |= jwt_add_grants_json(jwt.get(), nlohmann::json{{kClaimAmr, amr}}.dump().c_str());
  }
  const auto* key = reinterpret_cast<const unsigned char*>(options_.secret.data());
  rc |= jwt_set_alg(jwt.get(), static_cast<jwt_alg_t>(jwt_alg_), key,
                    static_cast<int>(options_.secret.size()));
  if (rc != 0) throw std::bad_alloc();  // validated options leave only allocation failures

  JwtString encoded(jwt_encode_str(jwt.get()));
  if (!encoded) throw std::bad_alloc();
  out.token = encoded.get();
  return out;
}

Result<TokenClaims> TokenService::verify(std::string_view token, TokenType expected_type) const {
  if (token.empty() || token.size() > kMaxTokenBytes) return invalid_token("bad length");
  const std::string terminated(token);  // libjwt wants a NUL-terminated string
  const auto* key = reinterpret_cast<const unsigned char*>(options_.secret.data());

  jwt_t* raw = nullptr;
  // With a key, libjwt refuses alg "none" and fails unless the signature verifies under the
  // algorithm named in the token's own header (HMAC compared with its constant-time
  // jwt_strcmp)...
  if (jwt_decode(&raw, terminated.c_str(), key, static_cast<int>(options_.secret.size())) != 0) {
    return invalid_token("malformed token or bad signature");
  }
  JwtPtr jwt(raw);
  // ...so pin the algorithm ourselves: a token signed with another HMAC size (or anything
  // else) is rejected even when the key matches.
  if (jwt_get_alg(jwt.get()) != static_cast<jwt_alg_t>(jwt_alg_)) {
    return invalid_token("unexpected algorithm");
  }

  TokenClaims claims;
  const char* type = string_claim(jwt.get(), kClaimType);
  if (type == nullptr || std::string_view(type) != token_type_name(expected_type)) {
    return invalid_token("wrong token type");
  }
  claims.type = expected_type;

  const char* subject = string_claim(jwt.get(), kClaimSubject);
  const char* jti = string_claim(jwt.get(), kClaimId);
  long issued_at = 0;
  long expires = 0;
  if (subject == nullptr || jti == nullptr || !int_claim(jwt.get(), kClaimIssuedAt, &issued_at) ||
      !int_claim(jwt.get(), kClaimExpires, &expires)) {
    return invalid_token("missing claims");
  }
  claims.subject = subject;
  claims.jti = jti;
  claims.issued_at = from_unix_seconds(issued_at);
  claims.expires_at = from_unix_seconds(expires);

  if (expected_type == TokenType::kAccess) {
    const char* role = string_claim(jwt.get(), kClaimRole);
    if (role == nullptr) return invalid_token("missing role");
    if (std::string_view(role) == role_name(Role::kAdmin)) {
      claims.role = Role::kAdmin;
    } else if (std::string_view(role) == role_name(Role::kUser)) {
      claims.role = Role::kUser;
    } else {
      return invalid_token("unknown role");
    }
  }
  // Both kinds name their session (refresh-token family): ending the session ends both.
  const char* family = string_claim(jwt.get(), kClaimFamily);
  if (family == nullptr || *family == '\0') return invalid_token("missing session");
  claims.family_id = family;

  if (JwtString amr{jwt_get_grants_json(jwt.get(), kClaimAmr)}) {
    auto list = nlohmann::json::parse(amr.get(), nullptr, false);
    if (!list.is_array()) return invalid_token("malformed amr");
    for (const auto& m : list) {
      if (!m.is_string()) return invalid_token("malformed amr");
      claims.amr.push_back(m.get<std::string>());
    }
  }

  long auth_time = 0;
  if (int_claim(jwt.get(), kClaimAuthTime, &auth_time))
    claims.auth_time = from_unix_seconds(auth_time);

  if (clock_->now() >= claims.expires_at) {
    return make_error("token_expired", "the token has expired");
  }
  return claims;
}

std::string TokenService::new_token_id() {
  if (!ensure_sodium_initialized()) throw std::runtime_error("libsodium unavailable");
  std::array<unsigned char, 16> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::array<char, 37> text{};
  std::snprintf(text.data(), text.size(),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return std::string(text.data(), 36);
}

std::string TokenService::token_hash(std::string_view token) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(token.data()),
                     token.size());
  std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return std::string(hex.data(), crypto_hash_sha256_BYTES * 2);
}

bool TokenService::constant_time_equal(std::string_view a, std::string_view b) {
  // Lengths are public (hex digests, ids); only the contents need constant-time comparison.
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace faceid::auth
