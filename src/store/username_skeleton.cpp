// Username skeletons: lower case, then replacements applied in order, each over the whole
// string left to right without overlaps (as SQL replace() does).
#include "store/username_skeleton.h"

#include <array>
#include <cctype>
#include <utility>

namespace faceid::store {
namespace {

// Order matters ("r.n" becomes "rn", then "m"); the migrations hold this list as SQL.
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kSteps = {{
    {".", ""},
    {"_", ""},
    {"-", ""},
    {"rn", "m"},
    {"vv", "w"},
    {"1", "l"},
    {"i", "l"},
    {"0", "o"},
}};

std::string replace_all(const std::string& in, std::string_view from, std::string_view to) {
  std::string out;
  for (std::size_t i = 0; i < in.size();) {
    if (in.compare(i, from.size(), from) == 0) {
      out += to;
      i += from.size();
    } else {
      out += in[i++];
    }
  }
  return out;
}

}  // namespace

std::string username_skeleton(std::string_view username) {
  std::string s;
  for (char c : username) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [from, to] : kSteps) s = replace_all(s, from, to);
  return s;
}

std::string username_skeleton_sql(std::string_view column) {
  std::string expr = "lower(";
  expr.append(column).append(")");
  for (const auto& [from, to] : kSteps) {
    std::string wrapped = "replace(";
    wrapped.append(expr).append(", '").append(from).append("', '").append(to).append("')");
    expr = std::move(wrapped);
  }
  return expr;
}

}  // namespace faceid::store
