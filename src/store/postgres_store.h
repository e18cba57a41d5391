// PostgresStore: the scale-out Store. Several service replicas share one PostgreSQL; face
// templates live in a pgvector column under an HNSW index, so 1:N search happens in the
// database and every replica sees every enrolment at once. Connections come from a pool sized
// to the HTTP workers; a connection that broke (server restart) is replaced on next use.
// Thread-safe. libpqxx stays inside the .cpp files: this header is all that callers see.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "store/store.h"

namespace faceid::store {

class PgPool;

struct PostgresOptions {
  std::string url;      // postgresql://user:password@host:port/db?options
  int pool_size = 8;    // one connection per HTTP worker: a request never waits for another's
  int ef_search = 200;  // hnsw.ef_search: candidates the graph walk keeps (recall vs time)
  // Search only templates made by this embedder ("" = any). Embeddings of different models
  // are not comparable, so a model upgrade must not match old templates.
  std::string model_version;
  // >= 0: create_user/add_template refuse (face_already_registered) a face this close to
  // another active account's template, checked inside the inserting transaction under a
  // database-wide advisory lock, so concurrent enrolments on different replicas cannot both
  // win. < 0: no check (REJECT_DUPLICATE_FACES=false).
  double duplicate_tolerance = -1;
  // When set, replaces duplicate_tolerance: the distance for this many active accounts (the
  // duplicate rule of face/match_calibration.h), counted inside the same transaction.
  std::function<double(std::int64_t active_accounts)> duplicate_distance;
  std::chrono::milliseconds pool_wait{5000};  // longest wait for a free connection
  int connect_timeout_seconds = 3;
  int statement_timeout_ms = 15000;
  // How long a write whose COMMIT was cut off by a lost connection waits for the server to
  // say whether it committed (reconnecting while the server restarts) before answering
  // store_unavailable with the outcome unconfirmed.
  std::chrono::milliseconds in_doubt_patience{10000};
};

class PostgresStore final : public Store {
 public:
  // Checks the URL and builds the pool; connects lazily (a down server fails requests with
  // store_unavailable, not start-up). Does not migrate (call migrate()).
  static Result<std::unique_ptr<PostgresStore>> open(const PostgresOptions& options);
  ~PostgresStore() override;

  std::string backend() const override { return "postgres"; }
  Status ping() override;
  Result<int> migrate() override;
  Result<int> schema_version() override;

  Result<User> create_user(const User& user, const FaceTemplate& first_template) override;
  Result<std::optional<User>> find_user_by_id(const std::string& id) override;
  Result<std::optional<User>> find_user_by_username(const std::string& username) override;
  Result<std::optional<User>> find_user_by_email(const std::string& email) override;
  Status delete_user(const std::string& id) override;
  Status set_lock(const std::string& id, std::optional<TimePoint> locked_until,
                  TimePoint now) override;
  Status set_admin(const std::string& id, bool is_admin, TimePoint now) override;

  Result<std::vector<FaceTemplate>> templates_for_user(const std::string& user_id) override;
  Result<FaceTemplate> add_template(const FaceTemplate& tmpl, int max_templates) override;
  Result<std::vector<std::int64_t>> accounts_by_template_count() override;
  Result<std::vector<FaceMatch>> search_faces(const Vector128& probe, int k) override;

  Status record_login_success(const std::string& user_id, const std::string& ip,
                              const std::string& method, TimePoint now) override;
  Status record_failed_attempt(const LoginAttempt& attempt) override;
  Result<AccountFailureCounts> account_failures(const std::string& user_id, TimePoint since,
                                                double close_distance) override;
  Result<ClientFailureCounts> client_failures(const std::optional<std::string>& user_id,
                                              const std::string& username, const std::string& ip,
                                              TimePoint since) override;
  Result<std::vector<LoginAttempt>> failed_attempts_since(TimePoint since, int limit) override;
  Result<std::vector<LoginAttempt>> failed_attempts_for_user(const std::string& user_id,
                                                             int limit) override;
  Result<SuspiciousActivity> suspicious_activity(TimePoint since, std::int64_t threshold) override;
  Result<PeriodStats> login_stats(TimePoint since) override;
  Result<StoreSummary> summary(TimePoint now) override;
  Result<std::int64_t> purge_failed_attempts(TimePoint before) override;

  Status insert_refresh_token(const RefreshTokenRecord& token) override;
  Result<std::optional<RefreshTokenRecord>> find_refresh_token(const std::string& jti) override;
  Result<bool> rotate_refresh_token(const std::string& old_jti, const RefreshTokenRecord& next,
                                    TimePoint now) override;
  Status revoke_token_family(const std::string& family_id, TimePoint now) override;
  Result<std::vector<RevokedSession>> revoked_sessions_since(TimePoint since) override;

  PostgresStore(PostgresOptions options, std::unique_ptr<PgPool> pool);

 private:
  const PostgresOptions options_;
  std::unique_ptr<PgPool> pool_;
};

// True for postgres:// and postgresql:// URLs.
bool is_postgres_url(const std::string& url);

}  // namespace faceid::store
