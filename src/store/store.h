// Store: the persistence seam. The embedded SqliteStore (SQLite file + in-process HNSW index)
// and a PostgreSQL store (pgvector) implement it. Every method is thread-safe. Expected
// failures are values; codes: "user_exists" (usernames compare case-insensitively, emails
// too), "not_found",
// "too_many_templates", "store_unavailable", "store_error".
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "store/records.h"

namespace faceid::store {

class Store {
 public:
  virtual ~Store() = default;

  virtual std::string backend() const = 0;  // "sqlite" | "postgres"
  virtual Status ping() = 0;
  // Applies pending migrations; returns how many ran.
  virtual Result<int> migrate() = 0;
  virtual Result<int> schema_version() = 0;

  // --- accounts -------------------------------------------------------------------------
  // Inserts the user and its first template in one transaction: all or nothing.
  virtual Result<User> create_user(const User& user, const FaceTemplate& first_template) = 0;
  virtual Result<std::optional<User>> find_user_by_id(const std::string& id) = 0;
  virtual Result<std::optional<User>> find_user_by_username(const std::string& username) = 0;
  // Emails compare case-insensitively, as at registration.
  virtual Result<std::optional<User>> find_user_by_email(const std::string& email) = 0;
  // Deletes the user, templates, tokens and every attempt record naming it (GDPR erasure).
  virtual Status delete_user(const std::string& id) = 0;
  // Locks until `locked_until`, or unlocks (nullopt): then locked_until records `now`, so
  // lockout counting can ignore failures that an earlier lock already settled.
  virtual Status set_lock(const std::string& id, std::optional<TimePoint> locked_until,
                          TimePoint now) = 0;
  virtual Status set_admin(const std::string& id, bool is_admin, TimePoint now) = 0;

  // --- face templates ----------------------------------------------------------------------
  virtual Result<std::vector<FaceTemplate>> templates_for_user(const std::string& user_id) = 0;
  // Adds a template unless the user already has `max_templates`.
  virtual Result<FaceTemplate> add_template(const FaceTemplate& tmpl, int max_templates) = 0;
  // Active accounts by how many templates they hold: result[k] = accounts with k templates
  // (index 0 unused). The match policy sizes a face-only search by it.
  virtual Result<std::vector<std::int64_t>> accounts_by_template_count() = 0;
  // 1:N: the nearest templates of active users, exact distances, nearest first.
  virtual Result<std::vector<FaceMatch>> search_faces(const Vector128& probe, int k) = 0;

  // --- sign-in records ----------------------------------------------------------------------
  virtual Status record_login_success(const std::string& user_id, const std::string& ip,
                                      const std::string& method, TimePoint now) = 0;
  virtual Status record_failed_attempt(const LoginAttempt& attempt) = 0;
  // The account's failed comparisons since `since` (reasons kComparisonReasons: a face or a
  // password was compared with the owner's; unusable images, quality and liveness refusals
  // are not): all, distinct IPs, and those with a face distance at or below `close_distance`.
  virtual Result<AccountFailureCounts> account_failures(const std::string& user_id, TimePoint since,
                                                        double close_distance) = 0;
  // One client's failures since `since` against an account named by id (1:N near misses) or
  // by the username tried (1:1, compared case-insensitively; unknown names count the same).
  virtual Result<ClientFailureCounts> client_failures(const std::optional<std::string>& user_id,
                                                      const std::string& username,
                                                      const std::string& ip, TimePoint since) = 0;
  virtual Result<std::vector<LoginAttempt>> failed_attempts_since(TimePoint since, int limit) = 0;
  // The newest failed attempts naming one account (personal-data export).
  virtual Result<std::vector<LoginAttempt>> failed_attempts_for_user(const std::string& user_id,
                                                                     int limit) = 0;
  virtual Result<SuspiciousActivity> suspicious_activity(TimePoint since,
                                                         std::int64_t threshold) = 0;
  virtual Result<PeriodStats> login_stats(TimePoint since) = 0;
  virtual Result<StoreSummary> summary(TimePoint now) = 0;
  virtual Result<std::int64_t> purge_failed_attempts(TimePoint before) = 0;

  // --- refresh tokens ------------------------------------------------------------------------
  virtual Status insert_refresh_token(const RefreshTokenRecord& token) = 0;
  virtual Result<std::optional<RefreshTokenRecord>> find_refresh_token(const std::string& jti) = 0;
  // Atomically revokes `old_jti` (replaced_by = next.jti) and stores `next`. Returns false,
  // changing nothing, when `old_jti` was already revoked (a reuse).
  virtual Result<bool> rotate_refresh_token(const std::string& old_jti,
                                            const RefreshTokenRecord& next, TimePoint now) = 0;
  virtual Status revoke_token_family(const std::string& family_id, TimePoint now) = 0;
  // Families revoked at or after `since` (reloads the in-memory revocation set at start-up).
  virtual Result<std::vector<RevokedSession>> revoked_sessions_since(TimePoint since) = 0;
};

using StorePtr = std::unique_ptr<Store>;

}  // namespace faceid::store
