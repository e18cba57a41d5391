// SqliteStore: SQL for each Store operation, transactions where a change spans rows.
#include "store/sqlite_store.h"

#include <cstring>
#include <filesystem>
#include <functional>

#include "store/index/hnsw_face_index.h"
#include "store/migrations.h"
#include "store/sqlite_db.h"
#include "store/time_format.h"
#include "store/username_skeleton.h"

namespace faceid::store {
namespace {

constexpr const char* kUserColumns =
    "id, username, email, password_hash, is_active, is_locked, locked_until, is_admin, "
    "created_at, updated_at, last_login_at";

TimePoint time_or_epoch(const std::string& s) { return parse_time(s).value_or(TimePoint{}); }

std::optional<TimePoint> optional_time(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return parse_time(*s);
}

std::optional<std::string> optional_text(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return format_time(*t);
}

User read_user(const SqliteStatement& st) {
  User u;
  u.id = st.text(0);
  u.username = st.text(1);
  u.email = st.text(2);
  u.password_hash = st.text(3);
  u.is_active = st.int64(4) != 0;
  u.is_locked = st.int64(5) != 0;
  u.locked_until = optional_time(st.optional_text(6));
  u.is_admin = st.int64(7) != 0;
  u.created_at = time_or_epoch(st.text(8));
  u.updated_at = time_or_epoch(st.text(9));
  u.last_login_at = optional_time(st.optional_text(10));
  return u;
}

std::string embedding_blob(const Vector128& v) {
  std::string b(sizeof(float) * v.size(), '\0');
  std::memcpy(b.data(), v.data(), b.size());  // x86-64 and arm64 are little-endian
  return b;
}

bool read_embedding(const std::string& blob, Vector128* out) {
  if (blob.size() != sizeof(float) * out->size()) return false;
  std::memcpy(out->data(), blob.data(), blob.size());
  return true;
}

FaceTemplate read_template(const SqliteStatement& st) {
  FaceTemplate t;
  t.id = st.int64(0);
  t.user_id = st.text(1);
  read_embedding(st.blob(2), &t.embedding);
  t.model_version = st.text(3);
  t.quality = st.real(4);
  t.created_at = time_or_epoch(st.text(5));
  return t;
}

constexpr const char* kAttemptSelect =
    "SELECT id, user_id, username_tried, ip, user_agent, reason, confidence_score, "
    "liveness_score, created_at, distance FROM failed_login_attempts";

LoginAttempt read_attempt(const SqliteStatement& s) {
  LoginAttempt a;
  a.id = s.int64(0);
  a.user_id = s.optional_text(1);
  a.username_tried = s.optional_text(2);
  a.ip = s.text(3);
  a.user_agent = s.text(4);
  a.reason = s.text(5);
  a.confidence_score = s.optional_real(6);
  a.liveness_score = s.optional_real(7);
  a.created_at = time_or_epoch(s.text(8));
  a.distance = s.optional_real(9);
  return a;
}

RefreshTokenRecord read_token(const SqliteStatement& st) {
  RefreshTokenRecord r;
  r.jti = st.text(0);
  r.user_id = st.text(1);
  r.family_id = st.text(2);
  r.token_hash = st.text(3);
  r.expires_at = time_or_epoch(st.text(4));
  r.revoked_at = optional_time(st.optional_text(5));
  r.replaced_by = st.optional_text(6);
  r.created_at = time_or_epoch(st.text(7));
  return r;
}

// Runs `sql` with `bind` applied and collects rows through `read`.
template <typename T, typename Bind, typename Read>
Result<std::vector<T>> query(SqliteDb& db, std::string_view sql, Bind bind, Read read) {
  auto st = db.prepare(sql);
  if (!st) return st.error();
  bind(*st);
  std::vector<T> rows;
  while (true) {
    auto more = st->step();
    if (!more) return more.error();
    if (!*more) break;
    rows.push_back(read(*st));
  }
  return rows;
}

Result<std::int64_t> scalar(SqliteDb& db, std::string_view sql,
                            const std::function<void(SqliteStatement&)>& bind) {
  auto rows =
      query<std::int64_t>(db, sql, bind, [](const SqliteStatement& s) { return s.int64(0); });
  if (!rows) return rows.error();
  return rows->empty() ? 0 : rows->front();
}

// INSERT of one template row; returns its id.
Result<std::int64_t> insert_template(SqliteDb& db, const FaceTemplate& t) {
  auto st = db.prepare(
      "INSERT INTO face_templates(user_id, embedding, model_version, quality, created_at) "
      "VALUES(?,?,?,?,?)");
  if (!st) return st.error();
  std::string blob = embedding_blob(t.embedding);
  st->bind(1, t.user_id)
      .bind_blob(2, blob.data(), blob.size())
      .bind(3, t.model_version)
      .bind(4, t.quality)
      .bind(5, format_time(t.created_at));
  if (Status s = st->run(); !s) return s.error();
  return db.last_insert_rowid();
}

Status insert_token(SqliteDb& db, const RefreshTokenRecord& t) {
  auto st = db.prepare(
      "INSERT INTO refresh_tokens(jti, user_id, family_id, token_hash, expires_at, created_at) "
      "VALUES(?,?,?,?,?,?)");
  if (!st) return st.error();
  st->bind(1, t.jti)
      .bind(2, t.user_id)
      .bind(3, t.family_id)
      .bind(4, t.token_hash)
      .bind(5, format_time(t.expires_at))
      .bind(6, format_time(t.created_at));
  return st->run();
}

// A migration may start with "-- refuse-if: <SELECT returning a message>" lines: when such a
// query returns a row, the migration is refused with that message instead of failing halfway
// (e.g. existing data that a new constraint would reject).
Status check_refusals(SqliteDb& db, const Migration& m) {
  constexpr std::string_view kMarker = "-- refuse-if: ";
  std::string_view sql = m.sql;
  for (std::size_t pos = sql.find(kMarker); pos != std::string_view::npos;
       pos = sql.find(kMarker, pos + 1)) {
    std::size_t start = pos + kMarker.size();
    std::string_view check = sql.substr(start, sql.find('\n', start) - start);
    auto hits = query<std::string>(
        db, check, [](SqliteStatement&) {}, [](const SqliteStatement& st) { return st.text(0); });
    if (!hits) return hits.error();
    if (!hits->empty()) {
      return make_error("migration_refused", "migration " + std::to_string(m.version) + " (" +
                                                 m.name + ") refused: " + hits->front());
    }
  }
  return {};
}

Status apply_migration(SqliteDb& db, const Migration& m) {
  SqliteTransaction tx(db);
  if (!tx.begin_status()) return tx.begin_status();
  if (Status s = check_refusals(db, m); !s) return s;
  if (Status s = db.exec(m.sql); !s) {
    return make_error("migration_failed",
                      "migration " + std::to_string(m.version) + " failed: " + s.error().message);
  }
  auto st = db.prepare("INSERT INTO schema_migrations(version, name, applied_at) VALUES(?,?,?)");
  if (!st) return st.error();
  st->bind(1, static_cast<std::int64_t>(m.version))
      .bind(2, std::string_view(m.name))
      .bind(3, format_time(std::chrono::system_clock::now()));
  if (Status s = st->run(); !s) return s;
  return tx.commit();
}

}  // namespace

SqliteStore::SqliteStore(std::unique_ptr<SqliteDb> db, std::string index_dir)
    : db_(std::move(db)),
      index_(std::make_unique<HnswFaceIndex>()),
      index_dir_(std::move(index_dir)) {}

SqliteStore::~SqliteStore() {
  // Persist the index so that the next start loads it instead of rebuilding (minutes at 1M).
  // Best effort: a failed save only costs that rebuild.
  std::lock_guard lock(mu_);
  if (!index_dir_.empty() && index_ && !index_->saved()) (void)index_->save();
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  auto db = SqliteDb::open(path);
  if (!db) return db.error();
  auto store = std::make_unique<SqliteStore>(std::move(*db), path + ".index");
  std::lock_guard lock(store->mu_);
  // Load the index once, here, when the schema exists; a fresh file gets it from migrate().
  auto has_schema =
      scalar(*store->db_, "SELECT count(*) FROM sqlite_master WHERE name='face_templates'",
             [](SqliteStatement&) {});
  if (has_schema && *has_schema > 0) {
    if (Status s = store->rebuild_index(); !s) return s.error();
  }
  return store;
}

Status SqliteStore::ping() {
  std::lock_guard lock(mu_);
  auto r = scalar(*db_, "SELECT 1", [](SqliteStatement&) {});
  if (!r) return make_error("store_unavailable", r.error().message);
  return {};
}

Result<int> SqliteStore::schema_version() {
  std::lock_guard lock(mu_);
  auto r = scalar(*db_, "SELECT coalesce(max(version), 0) FROM schema_migrations",
                  [](SqliteStatement&) {});
  if (!r) return r.error();
  return static_cast<int>(*r);
}

Result<int> SqliteStore::migrate() {
  std::lock_guard lock(mu_);
  if (Status s = db_->exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                           "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                           "applied_at TEXT NOT NULL)");
      !s) {
    return s.error();
  }
  auto current = scalar(*db_, "SELECT coalesce(max(version), 0) FROM schema_migrations",
                        [](SqliteStatement&) {});
  if (!current) return current.error();
  int applied = 0;
  for (const auto& m : migrations_for("sqlite")) {
    if (m.version <= *current) continue;
    if (Status s = apply_migration(*db_, m); !s) return s.error();
    ++applied;
  }
  // open() already loaded the index from an existing schema; reload only if the schema moved.
  if (applied > 0) {
    if (Status s = rebuild_index(); !s) return s.error();
  }
  return applied;
}

namespace {

// What the face index must cover: the active templates. Template ids come from AUTOINCREMENT
// and are never reused, so (count, sum, max) of the ids identifies the set (IndexCoverage).
Result<IndexCoverage> active_template_coverage(SqliteDb& db) {
  auto rows = query<IndexCoverage>(
      db,
      "SELECT count(*), coalesce(sum(t.id), 0), coalesce(max(t.id), 0) FROM face_templates t "
      "JOIN users u ON u.id = t.user_id WHERE u.is_active = 1",
      [](SqliteStatement&) {},
      [](const SqliteStatement& s) {
        return IndexCoverage{s.int64(0), s.int64(1), s.int64(2)};
      });
  if (!rows) return rows.error();
  return rows->empty() ? IndexCoverage{} : rows->front();
}

// Templates are read in id order, this many at a time: a rebuild never holds every row (at 1M
// the rows alone were ~700 MB of the 2.28 GB peak). Small chunks (~1 MB) also keep glibc from
// raising its mmap threshold to a chunk's size and then keeping that much freed heap.
constexpr std::int64_t kRebuildChunk = 2000;

}  // namespace

Status SqliteStore::rebuild_index() {
  auto covers = active_template_coverage(*db_);
  if (!covers) return covers.error();
  HnswFaceIndexOptions options;
  options.directory = index_dir_;
  if (!index_dir_.empty()) {
    if (auto saved = HnswFaceIndex::load(options, *covers); saved) {
      index_ = std::move(*saved);
      return {};
    }
  }
  options.initial_capacity = static_cast<std::size_t>(covers->templates + covers->templates / 64);
  std::unique_ptr<HnswFaceIndex> fresh;
  try {
    fresh = std::make_unique<HnswFaceIndex>(options);
  } catch (const std::exception& e) {
    return make_error("index_error", "the face index could not be created", {e.what()});
  }
  for (std::int64_t after = 0;;) {
    auto rows = query<IndexEntry>(
        *db_,
        "SELECT t.id, t.user_id, t.embedding FROM face_templates t JOIN users u "
        "ON u.id = t.user_id WHERE u.is_active = 1 AND t.id > ? ORDER BY t.id LIMIT ?",
        [&](SqliteStatement& s) { s.bind(1, after).bind(2, kRebuildChunk); },
        [](const SqliteStatement& s) {
          IndexEntry e{s.int64(0), s.text(1), {}};
          read_embedding(s.blob(2), &e.embedding);
          return e;
        });
    if (!rows) return rows.error();
    if (rows->empty()) break;
    after = rows->back().template_id;
    if (Status s = fresh->add_batch(*rows); !s) return s;
  }
  // Saved right away, so that a restart before any change loads instead of rebuilding.
  if (!index_dir_.empty()) (void)fresh->save();
  index_ = std::move(fresh);
  return {};
}

Result<User> SqliteStore::create_user(const User& user, const FaceTemplate& first_template) {
  std::lock_guard lock(mu_);
  auto taken = [&](const char* column, const std::string& value) -> Result<bool> {
    // Both columns compare case-insensitively ("Alice" and "alice" are one account).
    auto n = scalar(
        *db_, std::string("SELECT count(*) FROM users WHERE ") + column + " = ? COLLATE NOCASE",
        [&](SqliteStatement& s) { s.bind(1, value); });
    if (!n) return n.error();
    return *n > 0;
  };
  std::vector<std::string> clashes;
  for (auto [column, value] : {std::pair{"username", &user.username}, {"email", &user.email}}) {
    auto t = taken(column, *value);
    if (!t) return t.error();
    if (*t) clashes.emplace_back(column);
  }
  if (clashes.empty()) {
    // A look-alike of an existing username ("aIice" next to "alice") is taken too.
    auto alike = scalar(
        *db_, "SELECT count(*) FROM users WHERE " + username_skeleton_sql("username") + " = ?",
        [&](SqliteStatement& s) { s.bind(1, username_skeleton(user.username)); });
    if (!alike) return alike.error();
    if (*alike > 0) clashes.emplace_back("username");
  }
  if (!clashes.empty()) {
    return make_error("user_exists", "A user with that username or email already exists", clashes);
  }
  SqliteTransaction tx(*db_);
  if (!tx.begin_status()) return tx.begin_status().error();
  auto ins = db_->prepare(
      "INSERT INTO users(id, username, email, password_hash, is_active, is_locked, "
      "locked_until, is_admin, created_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?,?)");
  if (!ins) return ins.error();
  ins->bind(1, user.id)
      .bind(2, user.username)
      .bind(3, user.email)
      .bind(4, user.password_hash)
      .bind(5, static_cast<std::int64_t>(user.is_active))
      .bind(6, static_cast<std::int64_t>(user.is_locked))
      .bind(7, optional_text(user.locked_until))
      .bind(8, static_cast<std::int64_t>(user.is_admin))
      .bind(9, format_time(user.created_at))
      .bind(10, format_time(user.updated_at));
  if (Status s = ins->run(); !s) {
    if (s.error().code == "constraint_violation") {
      return make_error("user_exists", "A user with that username or email already exists");
    }
    return s.error();
  }
  FaceTemplate first = first_template;
  first.user_id = user.id;
  auto template_id = insert_template(*db_, first);
  if (!template_id) return template_id.error();
  if (Status s = tx.commit(); !s) return s.error();
  if (user.is_active) {
    if (Status s = index_->add(*template_id, user.id, first_template.embedding); !s) {
      return s.error();
    }
  }
  return user;
}

Result<std::optional<User>> SqliteStore::find_user(const char* condition,
                                                   const std::string& value) {
  std::lock_guard lock(mu_);
  auto rows = query<User>(
      *db_, std::string("SELECT ") + kUserColumns + " FROM users WHERE " + condition,
      [&](SqliteStatement& s) { s.bind(1, value); }, read_user);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<User>();
  return std::optional<User>(std::move(rows->front()));
}

Result<std::optional<User>> SqliteStore::find_user_by_id(const std::string& id) {
  return find_user("id = ?", id);
}

Result<std::optional<User>> SqliteStore::find_user_by_username(const std::string& username) {
  return find_user("username = ? COLLATE NOCASE", username);
}

Result<std::optional<User>> SqliteStore::find_user_by_email(const std::string& email) {
  return find_user("email = ? COLLATE NOCASE", email);
}

Status SqliteStore::delete_user(const std::string& id) {
  std::lock_guard lock(mu_);
  SqliteTransaction tx(*db_);
  if (!tx.begin_status()) return tx.begin_status();
  // Attempts that named the account without resolving it (verify mode) go too.
  auto del_attempts = db_->prepare(
      "DELETE FROM failed_login_attempts WHERE user_id = ?1 OR username_tried = "
      "(SELECT username FROM users WHERE id = ?1)");
  if (!del_attempts) return del_attempts.error();
  del_attempts->bind(1, id);
  if (Status s = del_attempts->run(); !s) return s;
  auto del = db_->prepare("DELETE FROM users WHERE id = ?");
  if (!del) return del.error();
  del->bind(1, id);
  if (Status s = del->run(); !s) return s;
  if (db_->changes() == 0) return make_error("not_found", "No such user");
  if (Status s = tx.commit(); !s) return s;
  index_->remove_user(id);
  return {};
}

Status SqliteStore::set_lock(const std::string& id, std::optional<TimePoint> locked_until,
                             TimePoint now) {
  std::lock_guard lock(mu_);
  auto st =
      db_->prepare("UPDATE users SET is_locked = ?, locked_until = ?, updated_at = ? WHERE id = ?");
  if (!st) return st.error();
  // Unlocking keeps the unlock instant in locked_until: failures before it are settled.
  st->bind(1, static_cast<std::int64_t>(locked_until.has_value()))
      .bind(2, format_time(locked_until.value_or(now)))
      .bind(3, format_time(now))
      .bind(4, id);
  if (Status s = st->run(); !s) return s;
  if (db_->changes() == 0) return make_error("not_found", "No such user");
  return {};
}

Status SqliteStore::set_admin(const std::string& id, bool is_admin, TimePoint now) {
  std::lock_guard lock(mu_);
  auto st = db_->prepare("UPDATE users SET is_admin = ?, updated_at = ? WHERE id = ?");
  if (!st) return st.error();
  st->bind(1, static_cast<std::int64_t>(is_admin)).bind(2, format_time(now)).bind(3, id);
  if (Status s = st->run(); !s) return s;
  if (db_->changes() == 0) return make_error("not_found", "No such user");
  return {};
}

Result<std::vector<FaceTemplate>> SqliteStore::templates_for_user(const std::string& user_id) {
  std::lock_guard lock(mu_);
  return query<FaceTemplate>(
      *db_,
      "SELECT id, user_id, embedding, model_version, quality, created_at FROM face_templates "
      "WHERE user_id = ? ORDER BY id",
      [&](SqliteStatement& s) { s.bind(1, user_id); }, read_template);
}

Result<FaceTemplate> SqliteStore::add_template(const FaceTemplate& tmpl, int max_templates) {
  std::lock_guard lock(mu_);
  SqliteTransaction tx(*db_);
  if (!tx.begin_status()) return tx.begin_status().error();
  auto n = scalar(*db_, "SELECT count(*) FROM face_templates WHERE user_id = ?",
                  [&](SqliteStatement& s) { s.bind(1, tmpl.user_id); });
  if (!n) return n.error();
  if (*n >= max_templates) {
    return make_error("too_many_templates",
                      "At most " + std::to_string(max_templates) + " face templates per account");
  }
  auto id = insert_template(*db_, tmpl);
  if (!id) return id.error();
  FaceTemplate out = tmpl;
  out.id = *id;
  if (Status s = tx.commit(); !s) return s.error();
  if (Status s = index_->add(out.id, out.user_id, out.embedding); !s) return s.error();
  return out;
}

Result<std::vector<FaceMatch>> SqliteStore::search_faces(const Vector128& probe, int k) {
  // The index has its own reader/writer lock: searches do not wait for the SQLite mutex.
  std::vector<FaceMatch> out;
  for (const auto& hit : index_->search(probe, k)) {
    out.push_back(FaceMatch{hit.user_id, hit.template_id, hit.distance});
  }
  return out;
}

Status SqliteStore::record_login_success(const std::string& user_id, const std::string& ip,
                                         const std::string& method, TimePoint now) {
  std::lock_guard lock(mu_);
  SqliteTransaction tx(*db_);
  if (!tx.begin_status()) return tx.begin_status();
  auto st =
      db_->prepare("INSERT INTO login_successes(user_id, ip, method, created_at) VALUES(?,?,?,?)");
  if (!st) return st.error();
  st->bind(1, user_id).bind(2, ip).bind(3, method).bind(4, format_time(now));
  if (Status s = st->run(); !s) return s;
  auto up = db_->prepare("UPDATE users SET last_login_at = ? WHERE id = ?");
  if (!up) return up.error();
  up->bind(1, format_time(now)).bind(2, user_id);
  if (Status s = up->run(); !s) return s;
  return tx.commit();
}

Status SqliteStore::record_failed_attempt(const LoginAttempt& a) {
  std::lock_guard lock(mu_);
  auto st = db_->prepare(
      "INSERT INTO failed_login_attempts(user_id, username_tried, ip, user_agent, reason, "
      "confidence_score, liveness_score, created_at, distance) VALUES(?,?,?,?,?,?,?,?,?)");
  if (!st) return st.error();
  st->bind(1, a.user_id)
      .bind(2, a.username_tried)
      .bind(3, a.ip)
      .bind(4, a.user_agent)
      .bind(5, a.reason)
      .bind(6, a.confidence_score)
      .bind(7, a.liveness_score)
      .bind(8, format_time(a.created_at))
      .bind(9, a.distance);
  return st->run();
}

Result<AccountFailureCounts> SqliteStore::account_failures(const std::string& user_id,
                                                           TimePoint since, double close_distance) {
  std::lock_guard lock(mu_);
  auto rows = query<AccountFailureCounts>(
      *db_,
      std::string("SELECT count(*), count(DISTINCT ip), coalesce(sum(distance <= ?3), 0) "
                  "FROM failed_login_attempts WHERE user_id = ?1 AND created_at >= ?2 AND ") +
          kComparisonReasonsSql,
      [&](SqliteStatement& s) {
        s.bind(1, user_id).bind(2, format_time(since)).bind(3, close_distance);
      },
      [](const SqliteStatement& s) {
        return AccountFailureCounts{s.int64(0), s.int64(1), s.int64(2)};
      });
  if (!rows) return rows.error();
  AccountFailureCounts out = rows->empty() ? AccountFailureCounts{} : rows->front();
  auto ips = query<std::string>(
      *db_,
      std::string("SELECT DISTINCT ip FROM failed_login_attempts WHERE user_id = ?1 AND "
                  "created_at >= ?2 AND ip IS NOT NULL AND ") +
          kComparisonReasonsSql + " LIMIT ?3",
      [&](SqliteStatement& s) {
        s.bind(1, user_id).bind(2, format_time(since)).bind(3, std::int64_t{kMaxFailureIps});
      },
      [](const SqliteStatement& s) { return s.text(0); });
  if (!ips) return ips.error();
  out.ips = std::move(*ips);
  return out;
}

Result<ClientFailureCounts> SqliteStore::client_failures(const std::optional<std::string>& user_id,
                                                         const std::string& username,
                                                         const std::string& ip, TimePoint since) {
  std::lock_guard lock(mu_);
  auto rows = query<ClientFailureCounts>(
      *db_,
      "SELECT count(*), max(created_at) FROM failed_login_attempts "
      "WHERE ip = ?1 AND created_at >= ?2 AND (user_id = ?3 OR username_tried = ?4 COLLATE NOCASE)",
      [&](SqliteStatement& s) {
        s.bind(1, ip).bind(2, format_time(since)).bind(3, user_id).bind(4, username);
      },
      [](const SqliteStatement& s) {
        return ClientFailureCounts{s.int64(0), optional_time(s.optional_text(1))};
      });
  if (!rows) return rows.error();
  return rows->empty() ? ClientFailureCounts{} : rows->front();
}

Result<std::vector<LoginAttempt>> SqliteStore::failed_attempts_since(TimePoint since, int limit) {
  std::lock_guard lock(mu_);
  return query<LoginAttempt>(
      *db_,
      std::string(kAttemptSelect) +
          " WHERE created_at >= ? ORDER BY created_at DESC, id DESC LIMIT ?",
      [&](SqliteStatement& s) {
        s.bind(1, format_time(since)).bind(2, static_cast<std::int64_t>(limit));
      },
      read_attempt);
}

Result<std::vector<LoginAttempt>> SqliteStore::failed_attempts_for_user(const std::string& user_id,
                                                                        int limit) {
  std::lock_guard lock(mu_);
  return query<LoginAttempt>(
      *db_,
      std::string(kAttemptSelect) + " WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
      [&](SqliteStatement& s) { s.bind(1, user_id).bind(2, static_cast<std::int64_t>(limit)); },
      read_attempt);
}

Result<SuspiciousActivity> SqliteStore::suspicious_activity(TimePoint since,
                                                            std::int64_t threshold) {
  std::lock_guard lock(mu_);
  auto bind = [&](SqliteStatement& s) { s.bind(1, format_time(since)).bind(2, threshold); };
  auto read = [](const SqliteStatement& s) { return CountByKey{s.text(0), s.int64(1)}; };
  auto ips =
      query<CountByKey>(*db_,
                        "SELECT ip, count(*) AS n FROM failed_login_attempts WHERE created_at >= ? "
                        "GROUP BY ip HAVING n >= ? ORDER BY n DESC LIMIT 100",
                        bind, read);
  if (!ips) return ips.error();
  auto accounts = query<CountByKey>(
      *db_,
      "SELECT user_id, count(*) AS n FROM failed_login_attempts WHERE created_at >= ? "
      "AND user_id IS NOT NULL GROUP BY user_id HAVING n >= ? ORDER BY n DESC LIMIT 100",
      bind, read);
  if (!accounts) return accounts.error();
  return SuspiciousActivity{std::move(*ips), std::move(*accounts)};
}

Result<std::vector<std::int64_t>> SqliteStore::accounts_by_template_count() {
  std::lock_guard lock(mu_);
  auto rows = query<std::pair<std::int64_t, std::int64_t>>(
      *db_,
      "SELECT n, count(*) FROM (SELECT count(*) AS n FROM face_templates t JOIN users u "
      "ON u.id = t.user_id WHERE u.is_active = 1 GROUP BY t.user_id) GROUP BY n ORDER BY n",
      [](SqliteStatement&) {},
      [](const SqliteStatement& s) { return std::pair(s.int64(0), s.int64(1)); });
  if (!rows) return rows.error();
  std::vector<std::int64_t> out(1, 0);
  for (const auto& [n, count] : *rows) {
    if (n >= static_cast<std::int64_t>(out.size())) out.resize(n + 1, 0);
    out[n] = count;
  }
  return out;
}

Result<PeriodStats> SqliteStore::login_stats(TimePoint since) {
  std::lock_guard lock(mu_);
  auto b = [&](SqliteStatement& s) { s.bind(1, format_time(since)); };
  auto ok = scalar(*db_, "SELECT count(*) FROM login_successes WHERE created_at >= ?", b);
  if (!ok) return ok.error();
  auto bad = scalar(*db_, "SELECT count(*) FROM failed_login_attempts WHERE created_at >= ?", b);
  if (!bad) return bad.error();
  return PeriodStats{*ok, *bad};
}

Result<StoreSummary> SqliteStore::summary(TimePoint now) {
  std::lock_guard lock(mu_);
  StoreSummary s;
  auto none = [](SqliteStatement&) {};
  auto users = scalar(*db_, "SELECT count(*) FROM users", none);
  auto active = scalar(*db_, "SELECT count(*) FROM users WHERE is_active = 1", none);
  auto locked = scalar(*db_, "SELECT count(*) FROM users WHERE is_locked = 1 AND locked_until > ?",
                       [&](SqliteStatement& st) { st.bind(1, format_time(now)); });
  auto templates = scalar(*db_, "SELECT count(*) FROM face_templates", none);
  for (auto* r : {&users, &active, &locked, &templates})
    if (!*r) return r->error();
  s.users = *users;
  s.active_users = *active;
  s.locked_users = *locked;
  s.templates = *templates;
  return s;
}

Result<std::int64_t> SqliteStore::purge_failed_attempts(TimePoint before) {
  std::lock_guard lock(mu_);
  auto st = db_->prepare("DELETE FROM failed_login_attempts WHERE created_at < ?");
  if (!st) return st.error();
  st->bind(1, format_time(before));
  if (Status s = st->run(); !s) return s.error();
  return static_cast<std::int64_t>(db_->changes());
}

Status SqliteStore::insert_refresh_token(const RefreshTokenRecord& t) {
  std::lock_guard lock(mu_);
  return insert_token(*db_, t);
}

Result<std::optional<RefreshTokenRecord>> SqliteStore::find_refresh_token(const std::string& jti) {
  std::lock_guard lock(mu_);
  auto rows = query<RefreshTokenRecord>(
      *db_,
      "SELECT jti, user_id, family_id, token_hash, expires_at, revoked_at, replaced_by, "
      "created_at FROM refresh_tokens WHERE jti = ?",
      [&](SqliteStatement& s) { s.bind(1, jti); }, read_token);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<RefreshTokenRecord>();
  return std::optional<RefreshTokenRecord>(rows->front());
}

Result<bool> SqliteStore::rotate_refresh_token(const std::string& old_jti,
                                               const RefreshTokenRecord& next, TimePoint now) {
  std::lock_guard lock(mu_);
  SqliteTransaction tx(*db_);
  if (!tx.begin_status()) return tx.begin_status().error();
  auto up = db_->prepare(
      "UPDATE refresh_tokens SET revoked_at = ?, replaced_by = ? WHERE jti = ? AND "
      "revoked_at IS NULL");
  if (!up) return up.error();
  up->bind(1, format_time(now)).bind(2, next.jti).bind(3, old_jti);
  if (Status s = up->run(); !s) return s.error();
  if (db_->changes() == 0) return false;  // already revoked: a reuse, change nothing
  if (Status s = insert_token(*db_, next); !s) return s.error();
  if (Status s = tx.commit(); !s) return s.error();
  return true;
}

Status SqliteStore::revoke_token_family(const std::string& family_id, TimePoint now) {
  std::lock_guard lock(mu_);
  auto st = db_->prepare(
      "UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE family_id = ?");
  if (!st) return st.error();
  st->bind(1, format_time(now)).bind(2, family_id);
  return st->run();
}

Result<std::vector<RevokedSession>> SqliteStore::revoked_sessions_since(TimePoint since) {
  std::lock_guard lock(mu_);
  return query<RevokedSession>(
      *db_,
      "SELECT family_id, max(revoked_at) FROM refresh_tokens WHERE revoked_at >= ? "
      "GROUP BY family_id",
      [&](SqliteStatement& s) { s.bind(1, format_time(since)); },
      [](const SqliteStatement& s) {
        return RevokedSession{s.text(0), time_or_epoch(s.text(1))};
      });
}

}  // namespace faceid::store
