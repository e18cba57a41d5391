// SqliteStore: the embedded default. One SQLite file (WAL) plus an in-process HNSW index of
// active users' templates, updated after every committed write. The index is saved beside
// the database ("<file>.index/") when the store closes and loaded at open when it covers
// exactly the database's active templates; otherwise it is rebuilt from the file. One connection
// guarded by mu_: SQLite serialises writers anyway, and the face pipeline, not the store, bounds
// throughput.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "store/store.h"

namespace faceid::store {

class SqliteDb;
class HnswFaceIndex;

class SqliteStore final : public Store {
 public:
  // Opens or creates the database file; does not migrate (call migrate()).
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path);
  ~SqliteStore() override;

  std::string backend() const override { return "sqlite"; }
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

  // index_dir: where the face index is persisted ("" keeps it in memory only).
  explicit SqliteStore(std::unique_ptr<SqliteDb> db, std::string index_dir = "");

 private:
  Status rebuild_index();  // requires mu_: the saved index if current, else from the file
  // `condition` is a WHERE clause with one "?" bound to `value`.
  Result<std::optional<User>> find_user(const char* condition, const std::string& value);

  std::mutex mu_;  // guards db_ and index writes
  std::unique_ptr<SqliteDb> db_;
  std::unique_ptr<HnswFaceIndex> index_;
  const std::string index_dir_;
};

}  // namespace faceid::store
