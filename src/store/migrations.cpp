// Selecting migrations by dialect.
#include "store/migrations.h"

#include <algorithm>

namespace faceid::store {

std::vector<Migration> migrations_for(const std::string& dialect) {
  std::vector<Migration> out;
  for (const auto& m : embedded_migrations())
    if (dialect == m.dialect) out.push_back(m);
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return out;
}

}  // namespace faceid::store
