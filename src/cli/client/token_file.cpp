// The token file is rewritten whole through a temp file created with mode 0600 and renamed,
// so it is never readable by others, not even for a moment, and never half written.
#include "cli/client/token_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace faceid::cli::client {
namespace fs = std::filesystem;
namespace {

Result<nlohmann::json> read_all(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nlohmann::json::object();  // no file yet: no sessions
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return make_error("invalid_input", "token file is not a JSON object: " + path);
  }
  return j;
}

Status write_all(const std::string& path, const nlohmann::json& j) {
  fs::path dir = fs::path(path).parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("invalid_input", "cannot create " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return make_error("invalid_input", "cannot write " + tmp);
  std::string text = j.dump(2) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return make_error("invalid_input", "cannot write " + path);
  }
  return {};
}

}  // namespace

Result<std::string> TokenFile::default_path() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && *xdg == '/') return std::string(xdg) + "/faceid/tokens.json";
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') return std::string(home) + "/.config/faceid/tokens.json";
  return make_error("invalid_input", "set HOME or XDG_CONFIG_HOME to keep tokens");
}

Result<std::optional<SavedTokens>> TokenFile::load(const std::string& server) const {
  auto all = read_all(path_);
  if (!all) return all.error();
  if (!all->contains(server)) return std::optional<SavedTokens>();
  const auto& s = (*all)[server];
  return std::optional<SavedTokens>(SavedTokens{s.value("access_token", ""),
                                                s.value("refresh_token", ""),
                                                s.value("access_expires_at", std::int64_t{0})});
}

Status TokenFile::save(const std::string& server, const SavedTokens& t) const {
  auto all = read_all(path_);
  if (!all) return all.error();
  auto& entry = (*all)[server];
  if (!entry.is_object()) entry = nlohmann::json::object();
  entry["access_token"] = t.access_token;
  entry["refresh_token"] = t.refresh_token;
  entry["access_expires_at"] = t.access_expires_at;
  return write_all(path_, *all);
}

Status TokenFile::forget(const std::string& server) const {
  auto all = read_all(path_);
  if (!all) return all.error();
  if (!all->contains(server)) return {};
  auto& entry = (*all)[server];
  if (entry.is_object() && entry.contains("accounts")) {
    for (const char* k : {"access_token", "refresh_token", "access_expires_at"}) entry.erase(k);
  } else {
    all->erase(server);
  }
  return write_all(path_, *all);
}

Result<std::vector<std::string>> TokenFile::accounts(const std::string& server) const {
  auto all = read_all(path_);
  if (!all) return all.error();
  std::vector<std::string> out;
  if (!all->contains(server) || !(*all)[server].is_object()) return out;
  for (const auto& a : (*all)[server].value("accounts", nlohmann::json::array())) {
    if (a.is_string() && out.size() < kMaxAccounts) out.push_back(a.get<std::string>());
  }
  return out;
}

Status TokenFile::remember_account(const std::string& server, const std::string& username) const {
  auto known = accounts(server);
  if (!known) return known.error();
  std::vector<std::string> list{username};
  for (const auto& a : *known) {
    if (a != username && list.size() < kMaxAccounts) list.push_back(a);
  }
  auto all = read_all(path_);
  if (!all) return all.error();
  auto& entry = (*all)[server];
  if (!entry.is_object()) entry = nlohmann::json::object();
  entry["accounts"] = list;
  return write_all(path_, *all);
}

}  // namespace faceid::cli::client
