// What the store keeps, in domain terms: users, face templates, login attempts, refresh tokens.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"

namespace faceid::store {

using Vector128 = std::array<float, 128>;

struct User {
  std::string id;
  std::string username;
  std::string email;
  std::string password_hash;
  bool is_active = true;
  bool is_locked = false;
  std::optional<TimePoint> locked_until;
  bool is_admin = false;
  TimePoint created_at;
  TimePoint updated_at;
  std::optional<TimePoint> last_login_at;
};

struct FaceTemplate {
  std::int64_t id = 0;
  std::string user_id;
  Vector128 embedding{};
  std::string model_version;
  double quality = 0;
  TimePoint created_at;
};

// A failed sign-in (reason: no_match | liveness_failed | rate_limit | locked | poor_quality ...).
struct LoginAttempt {
  std::int64_t id = 0;
  std::optional<std::string> user_id;
  std::optional<std::string> username_tried;
  std::string ip;
  std::string user_agent;
  std::string reason;
  std::optional<double> confidence_score;
  std::optional<double> liveness_score;
  std::optional<double> distance;  // face distance to the named account, when one was compared
  TimePoint created_at;
};

struct RefreshTokenRecord {
  std::string jti;
  std::string user_id;
  std::string family_id;
  std::string token_hash;  // SHA-256 hex of the token
  TimePoint expires_at;
  std::optional<TimePoint> revoked_at;
  std::optional<std::string> replaced_by;
  TimePoint created_at;
};

// A 1:N search candidate with its exact Euclidean distance.
struct FaceMatch {
  std::string user_id;
  std::int64_t template_id = 0;
  float distance = 0;
};

// Failure counts the lockout policy reads (see auth/lockout_policy.h).
struct AccountFailureCounts {
  std::int64_t total = 0;
  std::int64_t clients = 0;  // distinct IPs
  std::int64_t close = 0;    // distance <= the close distance asked for
  // The distinct IPs (at most kMaxFailureIps), so the policy can count networks, not addresses.
  std::vector<std::string> ips;
};
inline constexpr int kMaxFailureIps = 64;
// The attempt reasons that count toward an account's lock, as SQL: a face (or the password)
// was compared with the owner's and did not match.
inline constexpr const char* kComparisonReasonsSql = "reason IN ('no_match', 'invalid_password')";

struct ClientFailureCounts {
  std::int64_t count = 0;
  std::optional<TimePoint> last_at;
};

// A session (refresh-token family) revoked at some instant.
struct RevokedSession {
  std::string family_id;
  TimePoint revoked_at;
};

struct CountByKey {
  std::string key;
  std::int64_t count = 0;
};

struct SuspiciousActivity {
  std::vector<CountByKey> ips;       // failures per client IP
  std::vector<CountByKey> accounts;  // failures per user id
};

struct PeriodStats {
  std::int64_t successes = 0;
  std::int64_t failures = 0;
};

struct StoreSummary {
  std::int64_t users = 0;
  std::int64_t active_users = 0;
  std::int64_t locked_users = 0;  // locked_until in the future
  std::int64_t templates = 0;
};

}  // namespace faceid::store
