// The skeleton of a username: what is left when letter case, separators and look-alike
// characters are ignored ("aIice", "alice.", "al1ce" and "Alice" all have the skeleton "allce"),
// so a new account cannot pose as an existing one. Usernames are ASCII [A-Za-z0-9_.-].
#pragma once

#include <string>
#include <string_view>

namespace faceid::store {

std::string username_skeleton(std::string_view username);

// The same function as SQL over `column` (SQLite and PostgreSQL alike); the migrations index
// exactly this expression over "username".
std::string username_skeleton_sql(std::string_view column);

}  // namespace faceid::store
