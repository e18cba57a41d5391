// PostgresStore: SQL for each Store operation over pooled libpqxx connections. Every
// statement that runs per request is prepared once per connection; writes spanning rows run
// in one transaction; enrolments serialise on a database advisory lock (not a process mutex)
// so the duplicate-face rule holds across replicas.
#include "store/postgres_store.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <pqxx/pqxx>
#include <thread>

#include "store/migrations.h"
#include "store/postgres/pg_pool.h"
#include "store/time_format.h"
#include "store/username_skeleton.h"

namespace faceid::store {
namespace {

// Advisory lock keys (64-bit, one namespace per database): "FACEID" + purpose.
constexpr std::int64_t kMigrationLock = 0x4641434549440001;
constexpr std::int64_t kEnrolmentLock = 0x4641434549440002;
// How many index candidates the duplicate check re-checks exactly.
constexpr int kDuplicateCandidates = 10;
// Our transactions send their statements back to back; one idle this long lost its client
// (a connection cut without a FIN), and must not hold the enrolment lock for the hours TCP
// keepalive takes to notice. Shorter than the default in-doubt patience, so a commit cut off
// before it reached the server resolves as rolled back in time.
constexpr int kIdleInTransactionMs = 5000;

Error unavailable() { return make_error("store_unavailable", "The database is unavailable"); }

// --- value conversions -------------------------------------------------------------------

// Times travel as ISO-8601 text in and as epoch milliseconds out: exact both ways.
std::string ms(const char* column) {
  return std::string("(extract(epoch FROM ") + column + ") * 1000)::bigint";
}

TimePoint from_ms(std::int64_t v) { return TimePoint(std::chrono::milliseconds(v)); }

std::optional<TimePoint> optional_time(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return from_ms(f.as<std::int64_t>());
}

std::optional<std::string> optional_text(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

std::optional<double> optional_real(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<double>();
}

std::optional<std::string> optional_time_text(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return format_time(*t);
}

// pgvector's text form: "[x1,x2,...]". %.9g round-trips every float32 exactly.
std::string vector_text(const Vector128& v) {
  std::string s = "[";
  char buf[32];
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::snprintf(buf, sizeof(buf), i == 0 ? "%.9g" : ",%.9g", static_cast<double>(v[i]));
    s += buf;
  }
  s += ']';
  return s;
}

bool parse_vector(const std::string& text, Vector128* out) {
  const char* p = text.c_str();
  if (*p != '[') return false;
  ++p;
  for (std::size_t i = 0; i < out->size(); ++i) {
    char* end = nullptr;
    (*out)[i] = std::strtof(p, &end);
    if (end == p) return false;
    p = end;
    if (*p == ',' || *p == ']') ++p;
  }
  return true;
}

// --- statements ---------------------------------------------------------------------------

const std::string kUserColumns = "id, username, email, password_hash, is_active, is_locked, " +
                                 ms("locked_until") + ", is_admin, " + ms("created_at") + ", " +
                                 ms("updated_at") + ", " + ms("last_login_at");
const std::string kTemplateColumns =
    "id, user_id, embedding::text, model_version, quality, " + ms("created_at");
const std::string kAttemptColumns =
    "id, user_id, username_tried, ip, user_agent, reason, confidence_score, liveness_score, " +
    ms("created_at") + ", distance";
const std::string kTokenColumns = "jti, user_id, family_id, token_hash, " + ms("expires_at") +
                                  ", " + ms("revoked_at") + ", replaced_by, " + ms("created_at");

// Nearest templates of active accounts (optionally of one model version, optionally not of
// one account), by the HNSW index. With hnsw.iterative_scan the index keeps walking until
// LIMIT rows pass the filters; relaxed_order may hand them back slightly out of order, so the
// outer query re-sorts the candidates by their exact distance.
std::string nearest_sql(int candidates) {
  const std::string n = std::to_string(candidates);
  return "SELECT user_id, id, distance FROM ("
         " SELECT t.user_id, t.id, (t.embedding <-> $1::vector) AS distance"
         " FROM face_templates t JOIN users u ON u.id = t.user_id"
         " WHERE u.is_active AND ($2 = '' OR t.model_version = $2) AND t.user_id <> $3"
         " ORDER BY t.embedding <-> $1::vector LIMIT " +
         n + ") c ORDER BY distance LIMIT " + n;
}

struct Statement {
  const char* name;
  std::string sql;
};

const std::vector<Statement>& statements() {
  static const std::vector<Statement> kAll = {
      // In-doubt commits (see resolve_commit): the transaction's id, taken before COMMIT, and
      // later what became of it. The 64-bit form carries the epoch, so an id is never
      // mistaken for one from before a wraparound.
      {"txid_current", "SELECT txid_current()"},
      {"txid_status", "SELECT txid_status($1)"},
      {"user_exists", "SELECT EXISTS(SELECT 1 FROM users WHERE id = $1)"},
      {"token_exists", "SELECT EXISTS(SELECT 1 FROM refresh_tokens WHERE jti = $1)"},
      {"template_exists",
       "SELECT EXISTS(SELECT 1 FROM face_templates WHERE id = $1 AND user_id = $2 AND "
       "embedding = $3::vector)"},
      {"user_by_id", "SELECT " + kUserColumns + " FROM users WHERE id = $1"},
      // Usernames compare case-insensitively ("Alice" and "alice" are one account).
      {"user_by_username",
       "SELECT " + kUserColumns + " FROM users WHERE lower(username) = lower($1)"},
      {"user_by_email", "SELECT " + kUserColumns + " FROM users WHERE lower(email) = lower($1)"},
      {"user_clash",
       "SELECT EXISTS(SELECT 1 FROM users WHERE lower(username) = lower($1)), "
       "EXISTS(SELECT 1 FROM users WHERE lower(email) = lower($2)), "
       "EXISTS(SELECT 1 FROM users WHERE " +
           username_skeleton_sql("username") + " = $3)"},
      {"insert_user",
       "INSERT INTO users(id, username, email, password_hash, is_active, is_locked, "
       "locked_until, is_admin, created_at, updated_at) VALUES($1, $2, $3, $4, $5, $6, "
       "$7::timestamptz, $8, $9::timestamptz, $10::timestamptz)"},
      {"insert_template",
       "INSERT INTO face_templates(user_id, embedding, model_version, quality, created_at) "
       "VALUES($1, $2::vector, $3, $4, $5::timestamptz) RETURNING id"},
      {"count_templates", "SELECT count(*) FROM face_templates WHERE user_id = $1"},
      {"templates_for_user",
       "SELECT " + kTemplateColumns + " FROM face_templates WHERE user_id = $1 ORDER BY id"},
      {"nearest_other", nearest_sql(kDuplicateCandidates)},
      {"delete_attempts_of_user",
       "DELETE FROM failed_login_attempts WHERE user_id = $1 OR "
       "username_tried = (SELECT username FROM users WHERE id = $1)"},
      {"delete_user", "DELETE FROM users WHERE id = $1"},
      {"set_lock",
       "UPDATE users SET is_locked = $1, locked_until = $2::timestamptz, "
       "updated_at = $3::timestamptz WHERE id = $4"},
      {"set_admin", "UPDATE users SET is_admin = $1, updated_at = $2::timestamptz WHERE id = $3"},
      {"insert_success",
       "INSERT INTO login_successes(user_id, ip, method, created_at) "
       "VALUES($1, $2, $3, $4::timestamptz)"},
      {"touch_last_login", "UPDATE users SET last_login_at = $1::timestamptz WHERE id = $2"},
      {"insert_attempt",
       "INSERT INTO failed_login_attempts(user_id, username_tried, ip, user_agent, reason, "
       "confidence_score, liveness_score, created_at, distance) "
       "VALUES($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9)"},
      {"account_failures",
       "SELECT count(*), count(DISTINCT ip), count(*) FILTER (WHERE distance <= $3) "
       "FROM failed_login_attempts WHERE user_id = $1 AND created_at >= $2::timestamptz AND " +
           std::string(kComparisonReasonsSql)},
      {"account_failure_ips",
       "SELECT DISTINCT ip FROM failed_login_attempts WHERE user_id = $1 AND "
       "created_at >= $2::timestamptz AND ip IS NOT NULL AND " +
           std::string(kComparisonReasonsSql) + " LIMIT $3"},
      {"client_failures",
       "SELECT count(*), " + ms("max(created_at)") +
           " FROM failed_login_attempts WHERE ip = $1 AND created_at >= $2::timestamptz AND "
           "(user_id = $3 OR lower(username_tried) = lower($4))"},
      {"revoked_sessions_since",
       "SELECT family_id, " + ms("max(revoked_at)") +
           " FROM refresh_tokens WHERE revoked_at >= $1::timestamptz GROUP BY family_id"},
      {"attempts_since", "SELECT " + kAttemptColumns +
                             " FROM failed_login_attempts WHERE created_at >= $1::timestamptz "
                             "ORDER BY created_at DESC, id DESC LIMIT $2"},
      {"attempts_for_user", "SELECT " + kAttemptColumns +
                                " FROM failed_login_attempts WHERE user_id = $1 "
                                "ORDER BY created_at DESC, id DESC LIMIT $2"},
      {"suspicious_ips",
       "SELECT ip, count(*) FROM failed_login_attempts WHERE created_at >= $1::timestamptz "
       "GROUP BY ip HAVING count(*) >= $2 ORDER BY count(*) DESC LIMIT 100"},
      {"suspicious_accounts",
       "SELECT user_id, count(*) FROM failed_login_attempts WHERE created_at >= $1::timestamptz "
       "AND user_id IS NOT NULL GROUP BY user_id HAVING count(*) >= $2 "
       "ORDER BY count(*) DESC LIMIT 100"},
      {"login_stats",
       "SELECT (SELECT count(*) FROM login_successes WHERE created_at >= $1::timestamptz), "
       "(SELECT count(*) FROM failed_login_attempts WHERE created_at >= $1::timestamptz)"},
      {"accounts_by_template_count",
       "SELECT n, count(*) FROM (SELECT count(*) AS n FROM face_templates t JOIN users u "
       "ON u.id = t.user_id WHERE u.is_active GROUP BY t.user_id) AS per_user GROUP BY n "
       "ORDER BY n"},
      {"summary",
       "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM users WHERE is_active), "
       "(SELECT count(*) FROM users WHERE is_locked AND locked_until > $1::timestamptz), "
       "(SELECT count(*) FROM face_templates)"},
      {"purge_attempts", "DELETE FROM failed_login_attempts WHERE created_at < $1::timestamptz"},
      {"insert_token",
       "INSERT INTO refresh_tokens(jti, user_id, family_id, token_hash, expires_at, created_at) "
       "VALUES($1, $2, $3, $4, $5::timestamptz, $6::timestamptz)"},
      // Outside a transaction (see run()): a retry after a lost reply finds its own row.
      {"insert_token_once",
       "INSERT INTO refresh_tokens(jti, user_id, family_id, token_hash, expires_at, created_at) "
       "VALUES($1, $2, $3, $4, $5::timestamptz, $6::timestamptz) ON CONFLICT (jti) DO NOTHING"},
      {"token_is",
       "SELECT EXISTS(SELECT 1 FROM refresh_tokens WHERE jti = $1 AND user_id = $2 AND "
       "family_id = $3 AND token_hash = $4)"},
      {"find_token", "SELECT " + kTokenColumns + " FROM refresh_tokens WHERE jti = $1"},
      {"revoke_for_rotation",
       "UPDATE refresh_tokens SET revoked_at = $1::timestamptz, replaced_by = $2 "
       "WHERE jti = $3 AND revoked_at IS NULL"},
      {"revoke_family",
       "UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, $1::timestamptz) "
       "WHERE family_id = $2"},
  };
  return kAll;
}

// --- row readers ---------------------------------------------------------------------------

User read_user(const pqxx::row& r) {
  User u;
  u.id = r[0].as<std::string>();
  u.username = r[1].as<std::string>();
  u.email = r[2].as<std::string>();
  u.password_hash = r[3].as<std::string>();
  u.is_active = r[4].as<bool>();
  u.is_locked = r[5].as<bool>();
  u.locked_until = optional_time(r[6]);
  u.is_admin = r[7].as<bool>();
  u.created_at = from_ms(r[8].as<std::int64_t>());
  u.updated_at = from_ms(r[9].as<std::int64_t>());
  u.last_login_at = optional_time(r[10]);
  return u;
}

FaceTemplate read_template(const pqxx::row& r) {
  FaceTemplate t;
  t.id = r[0].as<std::int64_t>();
  t.user_id = r[1].as<std::string>();
  parse_vector(r[2].as<std::string>(), &t.embedding);
  t.model_version = r[3].as<std::string>();
  t.quality = r[4].is_null() ? 0.0 : r[4].as<double>();
  t.created_at = from_ms(r[5].as<std::int64_t>());
  return t;
}

LoginAttempt read_attempt(const pqxx::row& r) {
  LoginAttempt a;
  a.id = r[0].as<std::int64_t>();
  a.user_id = optional_text(r[1]);
  a.username_tried = optional_text(r[2]);
  a.ip = r[3].is_null() ? "" : r[3].as<std::string>();
  a.user_agent = r[4].is_null() ? "" : r[4].as<std::string>();
  a.reason = r[5].as<std::string>();
  a.confidence_score = optional_real(r[6]);
  a.liveness_score = optional_real(r[7]);
  a.created_at = from_ms(r[8].as<std::int64_t>());
  a.distance = optional_real(r[9]);
  return a;
}

RefreshTokenRecord read_token(const pqxx::row& r) {
  RefreshTokenRecord t;
  t.jti = r[0].as<std::string>();
  t.user_id = r[1].as<std::string>();
  t.family_id = r[2].as<std::string>();
  t.token_hash = r[3].as<std::string>();
  t.expires_at = from_ms(r[4].as<std::int64_t>());
  t.revoked_at = optional_time(r[5]);
  t.replaced_by = optional_text(r[6]);
  t.created_at = from_ms(r[7].as<std::int64_t>());
  return t;
}

template <typename T, typename Read>
std::vector<T> rows_of(const pqxx::result& res, Read read) {
  std::vector<T> out;
  out.reserve(res.size());
  for (const auto& row : res) out.push_back(read(row));
  return out;
}

// --- error handling -----------------------------------------------------------------------

// SQLSTATE classes that mean "the server went away", not "the statement was wrong":
// 08 connection exception, 57P admin/crash shutdown, 53 insufficient resources.
bool is_outage(const std::string& sqlstate) {
  return sqlstate.rfind("08", 0) == 0 || sqlstate.rfind("57P", 0) == 0 ||
         sqlstate.rfind("53", 0) == 0;
}

// Runs `work` on a pooled connection and turns exceptions into values. A connection found
// broken is dropped and the work retried once on a fresh one: after a server restart every
// pooled connection is stale. The connection may also drop after a statement ran, so work
// run here must be safe to repeat: reads, a transaction (uncommitted until COMMIT, see
// run_write), or a statement that is idempotent (absolute UPDATEs, an INSERT that finds its
// own row). A commit whose outcome is unknown (in_doubt) is not retried.
template <typename F>
auto run(PgPool& pool, F&& work) -> decltype(work(std::declval<PgConnection&>())) {
  using R = decltype(work(std::declval<PgConnection&>()));
  for (int attempt = 0;; ++attempt) {
    auto lease = pool.acquire();
    if (!lease) return R(lease.error());
    try {
      return work(lease->get());
    } catch (const pqxx::in_doubt_error&) {
      lease->discard();
      return R(make_error("store_unavailable", "The database connection was lost at commit"));
    } catch (const pqxx::broken_connection&) {
      lease->discard();
      if (attempt >= 1) return R(unavailable());
    } catch (const pqxx::sql_error& e) {
      bool outage = is_outage(e.sqlstate());
      if (outage || !lease->get().conn->is_open()) {
        lease->discard();
        if (attempt >= 1) return R(unavailable());
        continue;
      }
      return R(make_error("store_error", std::string("database error: ") + e.what()));
    } catch (const std::exception& e) {
      if (lease->get().conn && !lease->get().conn->is_open()) {
        lease->discard();
        if (attempt >= 1) return R(unavailable());
        continue;
      }
      return R(make_error("store_error", std::string("database error: ") + e.what()));
    }
  }
}

// --- commits whose outcome the connection hid -----------------------------------------------

// When the connection drops while COMMIT is in flight, the server may have committed or not:
// libpqxx throws in_doubt_error. Answering "unavailable" then could tell a client that nothing
// happened while its account exists. So every write transaction notes its id
// (txid_current()) before COMMIT, and an in-doubt commit is resolved on a new connection:
// first wait until the server no longer reports the id in progress (the old backend may
// still be finishing), then ask whether the write is there. Where the write left a row only
// it can have made (an account or token with a fresh random id), that row is the answer; it
// stays right even in the corner where a crash lost every trace of our transaction and the
// restarted server handed its id to another one. Elsewhere txid_status() answers.
// pqxx::robusttransaction (libpqxx 6.4) was the other option: it writes a log row per
// transaction and leaves an unresolved one to "manual inspection".
enum class Outcome { kCommitted, kRolledBack, kUnknown };

// Says whether the write of the in-doubt transaction is in the database (nullptr: none).
using Applied = std::function<bool(pqxx::nontransaction&)>;

// The transaction's state by txid_status(): "committed", "aborted", "in progress", or ""
// when the server has no record of it (an id past its counter: lost before any of its WAL
// reached the disk, so it never committed; or one too old to know, not the case seconds on).
std::string xact_status(pqxx::nontransaction& n, std::int64_t xid) {
  try {
    auto r = n.exec_prepared1("txid_status", xid);
    return r[0].is_null() ? "" : r[0].as<std::string>();
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "22023") return "";  // "transaction ID ... is in the future"
    throw;
  }
}

// Resolves transaction `xid` (see above), retrying while the server is unreachable, for up
// to `patience`.
Outcome resolve_commit(PgPool& pool, std::int64_t xid, const Applied& applied,
                       std::chrono::milliseconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  std::chrono::milliseconds pause{20};
  for (;;) {
    if (auto lease = pool.acquire()) {
      try {
        pqxx::nontransaction n(*lease->get().conn);
        std::string status = xact_status(n, xid);
        if (status != "in progress") {
          if (applied) return applied(n) ? Outcome::kCommitted : Outcome::kRolledBack;
          if (status == "committed") return Outcome::kCommitted;
          if (status == "aborted" || status.empty()) return Outcome::kRolledBack;
        }
      } catch (const std::exception&) {
        lease->discard();  // broken again, or the server is restarting: try anew
      }
    }
    if (std::chrono::steady_clock::now() + pause > deadline) return Outcome::kUnknown;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
  }
}

// Runs `work(tx)` in one transaction and commits it when it returns a value (an error rolls
// back). An in-doubt commit is resolved: committed answers work's value, rolled back or
// unresolvable answers store_unavailable (with nothing of it in the database in the first
// case).
template <typename F>
auto run_write(PgPool& pool, std::chrono::milliseconds patience, F&& work,
               const Applied& applied = nullptr) -> decltype(work(std::declval<pqxx::work&>())) {
  using R = decltype(work(std::declval<pqxx::work&>()));
  std::int64_t xid = 0;
  std::optional<R> in_doubt;  // work's value, held while the commit is unresolved
  R result = run(pool, [&](PgConnection& c) -> R {
    pqxx::work tx(*c.conn);
    xid = tx.exec_prepared1("txid_current")[0].as<std::int64_t>();
    R out = work(tx);
    if (!out) return out;
    try {
      tx.commit();
    } catch (const pqxx::in_doubt_error&) {
      in_doubt.emplace(std::move(out));
      throw;  // run() drops the broken connection and answers store_unavailable
    }
    return out;
  });
  if (!in_doubt) return result;
  switch (resolve_commit(pool, xid, applied, patience)) {
    case Outcome::kCommitted:
      return std::move(*in_doubt);
    case Outcome::kRolledBack:
      return R(
          make_error("store_unavailable", "The database connection was lost; nothing was saved"));
    case Outcome::kUnknown:
      break;
  }
  return R(make_error("store_unavailable",
                      "The database connection was lost while saving; whether it was saved "
                      "could not be confirmed"));
}

std::string with_connect_timeout(const std::string& url, int seconds) {
  if (url.find("connect_timeout=") != std::string::npos) return url;
  return url + (url.find('?') == std::string::npos ? "?" : "&") +
         "connect_timeout=" + std::to_string(seconds);
}

// The duplicate rule's distance now: fixed, or for the active accounts counted inside `tx`.
double duplicate_distance_in(pqxx::work& tx, const PostgresOptions& o) {
  if (!o.duplicate_distance) return o.duplicate_tolerance;
  const auto n = tx.exec1("SELECT count(*) FROM users WHERE is_active")[0].as<std::int64_t>();
  return o.duplicate_distance(n);
}

// The nearest other account's template within `tolerance`, checked inside `tx`.
bool face_taken(pqxx::work& tx, const Vector128& e, const std::string& except_user,
                const std::string& model_version, double tolerance) {
  auto res = tx.exec_prepared("nearest_other", vector_text(e), model_version, except_user);
  for (const auto& row : res) {
    if (row[2].as<double>() <= tolerance) return true;
  }
  return false;
}

// A migration may start with "-- refuse-if: <SELECT returning a message>" lines (as in the
// SQLite dialect): when such a query returns a row, the migration is refused with that
// message instead of failing halfway on existing data.
std::optional<std::string> refusal(pqxx::work& tx, const Migration& m) {
  constexpr std::string_view kMarker = "-- refuse-if: ";
  std::string_view sql = m.sql;
  for (std::size_t pos = sql.find(kMarker); pos != std::string_view::npos;
       pos = sql.find(kMarker, pos + 1)) {
    std::size_t start = pos + kMarker.size();
    auto r = tx.exec(std::string(sql.substr(start, sql.find('\n', start) - start)));
    if (!r.empty()) return r[0][0].is_null() ? std::string("refused") : r[0][0].as<std::string>();
  }
  return std::nullopt;
}

Error face_already_registered() {
  return make_error("face_already_registered",
                    "This face is already registered to another account");
}

}  // namespace

bool is_postgres_url(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

PostgresStore::PostgresStore(PostgresOptions options, std::unique_ptr<PgPool> pool)
    : options_(std::move(options)), pool_(std::move(pool)) {}

PostgresStore::~PostgresStore() = default;

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const PostgresOptions& options) {
  if (!is_postgres_url(options.url)) {
    return make_error("invalid_config", "DATABASE_URL must start with postgresql://");
  }
  const int ef = options.ef_search;
  const int timeout = options.statement_timeout_ms;
  auto setup = [ef, timeout](pqxx::connection& c) {
    // Session settings for search: the graph walk's breadth and iterative scans, so filters
    // (inactive accounts, other model versions) cannot starve the result.
    pqxx::nontransaction n(c);
    n.exec("SET hnsw.ef_search = " + std::to_string(ef));
    n.exec("SET hnsw.iterative_scan = relaxed_order");
    n.exec("SET statement_timeout = " + std::to_string(timeout));
    n.exec("SET lock_timeout = " + std::to_string(timeout));
    n.exec("SET idle_in_transaction_session_timeout = " + std::to_string(kIdleInTransactionMs));
    for (const auto& s : statements()) c.prepare(s.name, s.sql);
  };
  auto pool =
      std::make_unique<PgPool>(with_connect_timeout(options.url, options.connect_timeout_seconds),
                               options.pool_size, options.pool_wait, setup);
  return std::make_unique<PostgresStore>(options, std::move(pool));
}

Status PostgresStore::ping() {
  return run(*pool_, [](PgConnection& c) -> Status {
    pqxx::nontransaction n(*c.conn);
    n.exec("SELECT 1");
    return {};
  });
}

Result<int> PostgresStore::schema_version() {
  return run(*pool_, [](PgConnection& c) -> Result<int> {
    pqxx::nontransaction n(*c.conn);
    auto r = n.exec(
        "SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 ELSE "
        "(SELECT coalesce(max(version), 0) FROM schema_migrations) END");
    return r[0][0].as<int>();
  });
}

Result<int> PostgresStore::migrate() {
  // A dedicated connection: the session-level advisory lock must outlive the per-migration
  // transactions, and replicas starting together queue on it, so each migration runs once.
  try {
    pqxx::connection c(with_connect_timeout(options_.url, options_.connect_timeout_seconds));
    {
      pqxx::nontransaction n(c);
      n.exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLock) + ")");
      n.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
          "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    }
    int current = 0;
    {
      pqxx::nontransaction n(c);
      current = n.exec("SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0].as<int>();
    }
    int applied = 0;
    for (const auto& m : migrations_for("postgresql")) {
      if (m.version <= current) continue;
      pqxx::work tx(c);
      if (auto refused = refusal(tx, m)) {
        return make_error("migration_refused", "migration " + std::to_string(m.version) + " (" +
                                                   m.name + ") refused: " + *refused);
      }
      try {
        tx.exec(m.sql);
      } catch (const pqxx::sql_error& e) {
        return make_error("migration_failed",
                          "migration " + std::to_string(m.version) + " failed: " + e.what());
      }
      tx.exec_params("INSERT INTO schema_migrations(version, name) VALUES($1, $2)", m.version,
                     std::string(m.name));
      tx.commit();
      ++applied;
    }
    pqxx::nontransaction n(c);
    n.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
    return applied;
  } catch (const pqxx::broken_connection& e) {
    return make_error("store_unavailable", std::string("cannot reach PostgreSQL: ") + e.what());
  } catch (const std::exception& e) {
    return make_error("migration_failed", e.what());
  }
}

// --- accounts -------------------------------------------------------------------------------

Result<User> PostgresStore::create_user(const User& user, const FaceTemplate& first_template) {
  auto work = [&](pqxx::work& tx) -> Result<User> {
    // Enrolments queue here, across every replica: the duplicate check below and the insert
    // are one step, so the same face registered twice at once yields one account.
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kEnrolmentLock);
    auto clash = tx.exec_prepared1("user_clash", user.username, user.email,
                                   username_skeleton(user.username));
    std::vector<std::string> clashes;
    if (clash[0].as<bool>() || clash[2].as<bool>()) clashes.emplace_back("username");
    if (clash[1].as<bool>()) clashes.emplace_back("email");
    if (!clashes.empty()) {
      return make_error("user_exists", "A user with that username or email already exists",
                        clashes);
    }
    if (const double within = duplicate_distance_in(tx, options_);
        within >= 0 &&
        face_taken(tx, first_template.embedding, user.id, options_.model_version, within)) {
      return face_already_registered();
    }
    try {
      tx.exec_prepared("insert_user", user.id, user.username, user.email, user.password_hash,
                       user.is_active, user.is_locked, optional_time_text(user.locked_until),
                       user.is_admin, format_time(user.created_at), format_time(user.updated_at));
    } catch (const pqxx::unique_violation&) {
      return make_error("user_exists", "A user with that username or email already exists");
    }
    tx.exec_prepared1("insert_template", user.id, vector_text(first_template.embedding),
                      first_template.model_version, first_template.quality,
                      format_time(first_template.created_at));
    return user;
  };
  // The account and its template commit together, and the id is fresh: the account is there
  // exactly when the commit happened.
  auto applied = [&](pqxx::nontransaction& n) {
    return n.exec_prepared1("user_exists", user.id)[0].as<bool>();
  };
  return run_write(*pool_, options_.in_doubt_patience, work, applied);
}

Result<std::optional<User>> PostgresStore::find_user_by_id(const std::string& id) {
  return run(*pool_, [&](PgConnection& c) -> Result<std::optional<User>> {
    pqxx::nontransaction n(*c.conn);
    auto r = n.exec_prepared("user_by_id", id);
    if (r.empty()) return std::optional<User>();
    return std::optional<User>(read_user(r[0]));
  });
}

Result<std::optional<User>> PostgresStore::find_user_by_username(const std::string& username) {
  return run(*pool_, [&](PgConnection& c) -> Result<std::optional<User>> {
    pqxx::nontransaction n(*c.conn);
    auto r = n.exec_prepared("user_by_username", username);
    if (r.empty()) return std::optional<User>();
    return std::optional<User>(read_user(r[0]));
  });
}

Result<std::optional<User>> PostgresStore::find_user_by_email(const std::string& email) {
  return run(*pool_, [&](PgConnection& c) -> Result<std::optional<User>> {
    pqxx::nontransaction n(*c.conn);
    auto r = n.exec_prepared("user_by_email", email);
    if (r.empty()) return std::optional<User>();
    return std::optional<User>(read_user(r[0]));
  });
}

Status PostgresStore::delete_user(const std::string& id) {
  auto work = [&](pqxx::work& tx) -> Status {
    tx.exec_prepared("delete_attempts_of_user", id);
    auto r = tx.exec_prepared("delete_user", id);
    if (r.affected_rows() == 0) return make_error("not_found", "No such user");
    return {};
  };
  auto applied = [&](pqxx::nontransaction& n) {
    return !n.exec_prepared1("user_exists", id)[0].as<bool>();
  };
  return run_write(*pool_, options_.in_doubt_patience, work, applied);
}

Status PostgresStore::set_lock(const std::string& id, std::optional<TimePoint> locked_until,
                               TimePoint now) {
  return run(*pool_, [&](PgConnection& c) -> Status {
    pqxx::nontransaction n(*c.conn);
    // Unlocking keeps the unlock instant in locked_until: failures before it are settled.
    auto r = n.exec_prepared("set_lock", locked_until.has_value(),
                             format_time(locked_until.value_or(now)), format_time(now), id);
    if (r.affected_rows() == 0) return make_error("not_found", "No such user");
    return {};
  });
}

Status PostgresStore::set_admin(const std::string& id, bool is_admin, TimePoint now) {
  return run(*pool_, [&](PgConnection& c) -> Status {
    pqxx::nontransaction n(*c.conn);
    auto r = n.exec_prepared("set_admin", is_admin, format_time(now), id);
    if (r.affected_rows() == 0) return make_error("not_found", "No such user");
    return {};
  });
}

// --- face templates --------------------------------------------------------------------------

Result<std::vector<FaceTemplate>> PostgresStore::templates_for_user(const std::string& user_id) {
  return run(*pool_, [&](PgConnection& c) -> Result<std::vector<FaceTemplate>> {
    pqxx::nontransaction n(*c.conn);
    return rows_of<FaceTemplate>(n.exec_prepared("templates_for_user", user_id), read_template);
  });
}

Result<FaceTemplate> PostgresStore::add_template(const FaceTemplate& tmpl, int max_templates) {
  auto work = [&](pqxx::work& tx) -> Result<FaceTemplate> {
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kEnrolmentLock);
    auto n = tx.exec_prepared1("count_templates", tmpl.user_id)[0].as<std::int64_t>();
    if (n >= max_templates) {
      return make_error("too_many_templates",
                        "At most " + std::to_string(max_templates) + " face templates per account");
    }
    if (const double within = duplicate_distance_in(tx, options_);
        within >= 0 &&
        face_taken(tx, tmpl.embedding, tmpl.user_id, options_.model_version, within)) {
      return face_already_registered();
    }
    auto row = tx.exec_prepared1("insert_template", tmpl.user_id, vector_text(tmpl.embedding),
                                 tmpl.model_version, tmpl.quality, format_time(tmpl.created_at));
    FaceTemplate out = tmpl;
    out.id = row[0].as<std::int64_t>();
    return out;
  };
  std::int64_t id = 0;
  auto recorded = [&](pqxx::work& tx) -> Result<FaceTemplate> {
    auto out = work(tx);
    if (out) id = out->id;
    return out;
  };
  auto applied = [&](pqxx::nontransaction& n) {
    return n.exec_prepared1("template_exists", id, tmpl.user_id, vector_text(tmpl.embedding))[0]
        .as<bool>();
  };
  return run_write(*pool_, options_.in_doubt_patience, recorded, applied);
}

Result<std::vector<FaceMatch>> PostgresStore::search_faces(const Vector128& probe, int k) {
  k = std::clamp(k, 1, 1000);
  return run(*pool_, [&](PgConnection& c) -> Result<std::vector<FaceMatch>> {
    // The LIMIT is part of the statement text (one prepared statement per k): as a parameter
    // it would let a generic plan guess a large LIMIT and pick a sequential scan.
    std::string name = "search_" + std::to_string(k);
    if (c.prepared.insert(name).second) c.conn->prepare(name, nearest_sql(k));
    pqxx::nontransaction n(*c.conn);
    auto res = n.exec_prepared(name, vector_text(probe), options_.model_version, std::string());
    std::vector<FaceMatch> out;
    out.reserve(res.size());
    for (const auto& row : res) {
      out.push_back(
          FaceMatch{row[0].as<std::string>(), row[1].as<std::int64_t>(), row[2].as<float>()});
    }
    return out;
  });
}

// --- sign-in records --------------------------------------------------------------------------

Status PostgresStore::record_login_success(const std::string& user_id, const std::string& ip,
                                           const std::string& method, TimePoint now) {
  // No row of its own to look for: an in-doubt commit is resolved by txid_status alone.
  return run_write(*pool_, options_.in_doubt_patience, [&](pqxx::work& tx) -> Status {
    tx.exec_prepared("insert_success", user_id, ip, method, format_time(now));
    tx.exec_prepared("touch_last_login", format_time(now), user_id);
    return {};
  });
}

Status PostgresStore::record_failed_attempt(const LoginAttempt& a) {
  // A transaction, not a lone INSERT: run() retries after a dropped connection, and a lone
  // INSERT whose reply was lost may have committed; counted twice, it would lock an account
  // early. Uncommitted, a retry is safe; an in-doubt COMMIT is resolved by txid_status.
  return run_write(*pool_, options_.in_doubt_patience, [&](pqxx::work& tx) -> Status {
    tx.exec_prepared("insert_attempt", a.user_id, a.username_tried, a.ip, a.user_agent, a.reason,
                     a.confidence_score, a.liveness_score, format_time(a.created_at), a.distance);
    return {};
  });
}

Result<AccountFailureCounts> PostgresStore::account_failures(const std::string& user_id,
                                                             TimePoint since,
                                                             double close_distance) {
  return run(*pool_, [&](PgConnection& c) -> Result<AccountFailureCounts> {
    pqxx::nontransaction n(*c.conn);
    auto r = n.exec_prepared1("account_failures", user_id, format_time(since), close_distance);
    AccountFailureCounts out{
        r[0].as<std::int64_t>(), r[1].as<std::int64_t>(), r[2].as<std::int64_t>(), {}};
    for (const auto& row :
         n.exec_prepared("account_failure_ips", user_id, format_time(since), kMaxFailureIps)) {
      out.ips.push_back(row[0].as<std::string>());
    }
    return out;
  });
}

Result<ClientFailureCounts> PostgresStore::client_failures(
    const std::optional<std::string>& user_id, const std::string& username, const std::string& ip,
    TimePoint since) {
  return run(*pool_, [&](PgConnection& c) -> Result<ClientFailureCounts> {
    pqxx::nontransaction n(*c.conn);
    auto r = n.exec_prepared1("client_failures", ip, format_time(since), user_id, username);
    return ClientFailureCounts{r[0].as<std::int64_t>(), optional_time(r[1])};
  });
}

Result<std::vector<LoginAttempt>> PostgresStore::failed_attempts_since(TimePoint since, int limit) {
  return run(*pool_, [&](PgConnection& c) -> Result<std::vector<LoginAttempt>> {
    pqxx::nontransaction n(*c.conn);
    return rows_of<LoginAttempt>(n.exec_prepared("attempts_since", format_time(since), limit),
                                 read_attempt);
  });
}

Result<std::vector<LoginAttempt>> PostgresStore::failed_attempts_for_user(
    const std::string& user_id, int limit) {
  return run(*pool_, [&](PgConnection& c) -> Result<std::vector<LoginAttempt>> {
    pqxx::nontransaction n(*c.conn);
    return rows_of<LoginAttempt>(n.exec_prepared("attempts_for_user", user_id, limit),
                                 read_attempt);
  });
}

Result<SuspiciousActivity> PostgresStore::suspicious_activity(TimePoint since,
                                                              std::int64_t threshold) {
  return run(*pool_, [&](PgConnection& c) -> Result<SuspiciousActivity> {
    pqxx::nontransaction n(*c.conn);
    auto read = [](const pqxx::row& r) {
      return CountByKey{r[0].is_null() ? "" : r[0].as<std::string>(), r[1].as<std::int64_t>()};
    };
    auto t = format_time(since);
    return SuspiciousActivity{
        rows_of<CountByKey>(n.exec_prepared("suspicious_ips", t, threshold), read),
        rows_of<CountByKey>(n.exec_prepared("suspicious_accounts", t, threshold), read)};
  });
}

Result<std::vector<std::int64_t>> PostgresStore::accounts_by_template_count() {
  return run(*pool_, [&](PgConnection& c) -> Result<std::vector<std::int64_t>> {
    pqxx::nontransaction n(*c.conn);
    std::vector<std::int64_t> out(1, 0);
    for (const auto& row : n.exec_prepared("accounts_by_template_count")) {
      const auto k = row[0].as<std::int64_t>();
      if (k >= static_cast<std::int64_t>(out.size())) out.resize(k + 1, 0);
      out[k] = row[1].as<std::int64_t>();
    }
    return out;
  });
}

Result<PeriodStats> PostgresStore::login_stats(TimePoint since) {
  return run(*pool_, [&](PgConnection& c) -> Result<PeriodStats> {
    pqxx::nontransaction n(*c.conn);
    auto r = n.exec_prepared1("login_stats", format_time(since));
    return PeriodStats{r[0].as<std::int64_t>(), r[1].as<std::int64_t>()};
  });
}

Result<StoreSummary> PostgresStore::summary(TimePoint now) {
  return run(*pool_, [&](PgConnection& c) -> Result<StoreSummary> {
    pqxx::nontransaction n(*c.conn);
    auto r = n.exec_prepared1("summary", format_time(now));
    return StoreSummary{r[0].as<std::int64_t>(), r[1].as<std::int64_t>(), r[2].as<std::int64_t>(),
                        r[3].as<std::int64_t>()};
  });
}

Result<std::int64_t> PostgresStore::purge_failed_attempts(TimePoint before) {
  // Safe to repeat; after a lost reply the count is of the retry's rows only.
  return run(*pool_, [&](PgConnection& c) -> Result<std::int64_t> {
    pqxx::nontransaction n(*c.conn);
    return static_cast<std::int64_t>(
        n.exec_prepared("purge_attempts", format_time(before)).affected_rows());
  });
}

// --- refresh tokens --------------------------------------------------------------------------

Status PostgresStore::insert_refresh_token(const RefreshTokenRecord& t) {
  return run(*pool_, [&](PgConnection& c) -> Status {
    pqxx::nontransaction n(*c.conn);
    auto r = n.exec_prepared("insert_token_once", t.jti, t.user_id, t.family_id, t.token_hash,
                             format_time(t.expires_at), format_time(t.created_at));
    // No row inserted: the jti is there already. It is ours when an earlier try committed but
    // its reply was lost; anything else is a clash (never seen with random 128-bit ids).
    if (r.affected_rows() == 0 &&
        !n.exec_prepared1("token_is", t.jti, t.user_id, t.family_id, t.token_hash)[0].as<bool>()) {
      return make_error("store_error", "refresh token id already in use");
    }
    return {};
  });
}

Result<std::optional<RefreshTokenRecord>> PostgresStore::find_refresh_token(
    const std::string& jti) {
  return run(*pool_, [&](PgConnection& c) -> Result<std::optional<RefreshTokenRecord>> {
    pqxx::nontransaction n(*c.conn);
    auto r = n.exec_prepared("find_token", jti);
    if (r.empty()) return std::optional<RefreshTokenRecord>();
    return std::optional<RefreshTokenRecord>(read_token(r[0]));
  });
}

Result<bool> PostgresStore::rotate_refresh_token(const std::string& old_jti,
                                                 const RefreshTokenRecord& next, TimePoint now) {
  auto work = [&](pqxx::work& tx) -> Result<bool> {
    // The row lock taken by this UPDATE makes a concurrent rotation of the same token (on any
    // replica) wait and then see revoked_at set: exactly one rotation wins.
    auto r = tx.exec_prepared("revoke_for_rotation", format_time(now), next.jti, old_jti);
    if (r.affected_rows() == 0) return false;  // already revoked: a reuse, change nothing
    tx.exec_prepared("insert_token", next.jti, next.user_id, next.family_id, next.token_hash,
                     format_time(next.expires_at), format_time(next.created_at));
    return true;
  };
  // The successor's jti is fresh: it exists exactly when the rotation committed.
  auto applied = [&](pqxx::nontransaction& n) {
    return n.exec_prepared1("token_exists", next.jti)[0].as<bool>();
  };
  return run_write(*pool_, options_.in_doubt_patience, work, applied);
}

Status PostgresStore::revoke_token_family(const std::string& family_id, TimePoint now) {
  return run(*pool_, [&](PgConnection& c) -> Status {
    pqxx::nontransaction n(*c.conn);
    n.exec_prepared("revoke_family", format_time(now), family_id);
    return {};
  });
}

Result<std::vector<RevokedSession>> PostgresStore::revoked_sessions_since(TimePoint since) {
  return run(*pool_, [&](PgConnection& c) -> Result<std::vector<RevokedSession>> {
    pqxx::nontransaction n(*c.conn);
    return rows_of<RevokedSession>(
        n.exec_prepared("revoked_sessions_since", format_time(since)), [](const pqxx::row& r) {
          return RevokedSession{r[0].as<std::string>(), from_ms(r[1].as<std::int64_t>())};
        });
  });
}

}  // namespace faceid::store
