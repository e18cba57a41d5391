// Thin RAII layer over the SQLite C API: a connection, prepared statements and a transaction
// guard. Not thread-safe by itself; SqliteStore serialises access with its mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace faceid::store {

class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement();
  SqliteStatement(SqliteStatement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // Binders use 1-based positions, like SQLite.
  SqliteStatement& bind(int pos, std::string_view text);
  SqliteStatement& bind(int pos, const std::string& text) {
    return bind(pos, std::string_view(text));
  }
  SqliteStatement& bind(int pos, const char* text) { return bind(pos, std::string_view(text)); }
  SqliteStatement& bind(int pos, std::int64_t value);
  SqliteStatement& bind(int pos, double value);
  SqliteStatement& bind_blob(int pos, const void* data, std::size_t size);
  SqliteStatement& bind_null(int pos);
  SqliteStatement& bind(int pos, const std::optional<std::string>& v);
  SqliteStatement& bind(int pos, const std::optional<double>& v);

  // Steps once: true when a row is available, false when done; errors as Result.
  Result<bool> step();
  // Runs to completion (INSERT/UPDATE/DELETE).
  Status run();

  std::string text(int col) const;
  std::optional<std::string> optional_text(int col) const;
  std::int64_t int64(int col) const;
  double real(int col) const;
  std::optional<double> optional_real(int col) const;
  std::string blob(int col) const;
  bool is_null(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class SqliteDb {
 public:
  // Opens (creating) the file with WAL, foreign keys and a busy timeout.
  static Result<std::unique_ptr<SqliteDb>> open(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Status exec(const std::string& sql);
  Result<SqliteStatement> prepare(std::string_view sql);
  std::int64_t last_insert_rowid() const;
  int changes() const;
  std::string last_error() const;

  explicit SqliteDb(sqlite3* db) : db_(db) {}

 private:
  sqlite3* db_;
};

// Rolls back unless commit() succeeded.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDb& db);
  ~SqliteTransaction();
  Status begin_status() const { return begin_; }
  Status commit();

 private:
  SqliteDb& db_;
  Status begin_;
  bool done_ = false;
};

}  // namespace faceid::store
