// Account field rules.
#include "auth/account_rules.h"

#include <algorithm>
#include <cctype>

#include "auth/password_hasher.h"
#include "store/username_skeleton.h"

namespace faceid::auth {
namespace {
bool username_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}
bool email_local_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+/=?^_`{|}~.-").find(c) != std::string_view::npos;
}
bool domain_label_ok(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
    return false;
  }
  return std::all_of(label.begin(), label.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}
}  // namespace

std::string check_username(std::string_view u) {
  if (u.size() < kMinUsername || u.size() > kMaxUsername ||
      !std::all_of(u.begin(), u.end(), username_char)) {
    return "must be 3-50 characters of letters, digits, '_', '.' or '-'";
  }
  return "";
}

std::string check_email(std::string_view e) {
  static constexpr const char* msg = "must be a valid email address";
  if (e.size() > kMaxEmail) return msg;
  auto at = e.find('@');
  if (at == std::string_view::npos || at == 0 || e.find('@', at + 1) != std::string_view::npos) {
    return msg;
  }
  std::string_view local = e.substr(0, at);
  std::string_view domain = e.substr(at + 1);
  if (local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos ||
      !std::all_of(local.begin(), local.end(), email_local_char)) {
    return msg;
  }
  if (domain.find('.') == std::string_view::npos) return msg;
  std::size_t start = 0;
  while (start <= domain.size()) {
    auto dot = domain.find('.', start);
    auto label = domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!domain_label_ok(label)) return msg;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return "";
}

std::string check_password(std::string_view p, std::string_view username) {
  if (p.size() < kMinPassword) return "must be at least 8 characters";
  if (p.size() > kMaxPassword) return "must be at most 128 characters";
  if (is_common_password(p)) return "is too common";
  // "LongUserName" or "longusername." for "longusername" is no more secret than the name.
  if (!username.empty() && store::username_skeleton(p) == store::username_skeleton(username)) {
    return "must differ from the username";
  }
  return "";
}

std::string normalize_email(std::string_view email) {
  auto b = email.find_first_not_of(" \t");
  auto e = email.find_last_not_of(" \t");
  std::string out(b == std::string_view::npos ? "" : email.substr(b, e - b + 1));
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

double confidence_from_distance(double distance, double tolerance) {
  if (tolerance <= 0) return 0;
  return std::clamp(1.0 - distance / (2.0 * tolerance), 0.0, 1.0);
}

}  // namespace faceid::auth
