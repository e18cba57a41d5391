// SQLite RAII wrapper implementation.
#include "store/sqlite_db.h"

#include <sqlite3.h>

#include <memory>

namespace faceid::store {
namespace {
constexpr int kBusyTimeoutMs = 5000;

Error db_error(sqlite3* db, std::string_view what) {
  int code = sqlite3_extended_errcode(db);
  std::string c = (code & 0xff) == SQLITE_CONSTRAINT ? "constraint_violation" : "store_error";
  return make_error(c, std::string(what) + ": " + sqlite3_errmsg(db));
}
}  // namespace

SqliteStatement::~SqliteStatement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

SqliteStatement& SqliteStatement::bind(int pos, std::string_view text) {
  sqlite3_bind_text(stmt_, pos, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}
SqliteStatement& SqliteStatement::bind(int pos, std::int64_t value) {
  sqlite3_bind_int64(stmt_, pos, value);
  return *this;
}
SqliteStatement& SqliteStatement::bind(int pos, double value) {
  sqlite3_bind_double(stmt_, pos, value);
  return *this;
}
SqliteStatement& SqliteStatement::bind_blob(int pos, const void* data, std::size_t size) {
  sqlite3_bind_blob(stmt_, pos, data, static_cast<int>(size), SQLITE_TRANSIENT);
  return *this;
}
SqliteStatement& SqliteStatement::bind_null(int pos) {
  sqlite3_bind_null(stmt_, pos);
  return *this;
}
SqliteStatement& SqliteStatement::bind(int pos, const std::optional<std::string>& v) {
  return v ? bind(pos, std::string_view(*v)) : bind_null(pos);
}
SqliteStatement& SqliteStatement::bind(int pos, const std::optional<double>& v) {
  return v ? bind(pos, *v) : bind_null(pos);
}

Result<bool> SqliteStatement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_error(db_, "step");
}

Status SqliteStatement::run() {
  while (true) {
    auto r = step();
    if (!r) return r.error();
    if (!*r) return {};
  }
}

std::string SqliteStatement::text(int col) const {
  const unsigned char* t = sqlite3_column_text(stmt_, col);
  return t ? std::string(reinterpret_cast<const char*>(t),
                         static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}
std::optional<std::string> SqliteStatement::optional_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}
std::int64_t SqliteStatement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }
double SqliteStatement::real(int col) const { return sqlite3_column_double(stmt_, col); }
std::optional<double> SqliteStatement::optional_real(int col) const {
  if (is_null(col)) return std::nullopt;
  return real(col);
}
std::string SqliteStatement::blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}
bool SqliteStatement::is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  auto db = std::make_unique<SqliteDb>(raw);
  if (rc != SQLITE_OK) {
    return make_error("store_unavailable", "cannot open " + path + ": " + db->last_error());
  }
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL"}) {
    if (Status s = db->exec(pragma); !s) return s.error();
  }
  return db;
}

SqliteDb::~SqliteDb() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Status SqliteDb::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown";
    sqlite3_free(err);
    return make_error("store_error", msg);
  }
  return {};
}

Result<SqliteStatement> SqliteDb::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return db_error(db_, "prepare");
  }
  return SqliteStatement(db_, stmt);
}

std::int64_t SqliteDb::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int SqliteDb::changes() const { return sqlite3_changes(db_); }
std::string SqliteDb::last_error() const { return db_ ? sqlite3_errmsg(db_) : "out of memory"; }

SqliteTransaction::SqliteTransaction(SqliteDb& db) : db_(db), begin_(db.exec("BEGIN IMMEDIATE")) {
  done_ = !begin_.ok();
}

SqliteTransaction::~SqliteTransaction() {
  if (!done_) db_.exec("ROLLBACK");
}

Status SqliteTransaction::commit() {
  if (done_)
    return begin_.ok() ? Status(make_error("store_error", "transaction finished")) : begin_;
  Status s = db_.exec("COMMIT");
  done_ = s.ok();
  return s;
}

}  // namespace faceid::store
