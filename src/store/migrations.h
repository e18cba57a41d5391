// Versioned, forward-only SQL migrations. The SQL lives in migrations/<dialect>/NNNN_name.sql
// and is embedded at build time; each migration runs in its own transaction and is recorded
// in schema_migrations.
#pragma once

#include <string>
#include <vector>

namespace faceid::store {

struct Migration {
  const char* dialect;  // the folder name: "sqlite" | "postgresql"
  int version;
  const char* name;
  const char* sql;
};

// Every embedded migration of every dialect, in version order within a dialect.
const std::vector<Migration>& embedded_migrations();

// The migrations of one dialect, in version order.
std::vector<Migration> migrations_for(const std::string& dialect);

}  // namespace faceid::store
