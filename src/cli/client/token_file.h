// TokenFile: the client's signed-in sessions, one per server URL, in a JSON file only the
// user can read (mode 0600, folder 0700) under $XDG_CONFIG_HOME/faceid or ~/.config/faceid.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace faceid::cli::client {

struct SavedTokens {
  std::string access_token;
  std::string refresh_token;
  std::int64_t access_expires_at = 0;  // unix seconds
};

class TokenFile {
 public:
  explicit TokenFile(std::string path) : path_(std::move(path)) {}

  // $XDG_CONFIG_HOME/faceid/tokens.json, else $HOME/.config/faceid/tokens.json.
  // Error "invalid_input" when neither variable is set.
  static Result<std::string> default_path();

  const std::string& path() const { return path_; }
  Result<std::optional<SavedTokens>> load(const std::string& server) const;
  Status save(const std::string& server, const SavedTokens& tokens) const;
  // Forgets the session's tokens; the remembered accounts stay.
  Status forget(const std::string& server) const;
  // Usernames that signed in to `server` from this machine, newest first (at most
  // kMaxAccounts): sent as sign-in hints, so that a returning person needs no identifier
  // where the face alone is not enough.
  static constexpr size_t kMaxAccounts = 5;
  Result<std::vector<std::string>> accounts(const std::string& server) const;
  Status remember_account(const std::string& server, const std::string& username) const;

 private:
  std::string path_;
};

}  // namespace faceid::cli::client
