// TokenFile: the client's signed-in sessions, one per server URL, in a JSON file only the
// user can read (mode 0600, folder 0700) under $XDG_CONFIG_HOME/faceid or ~/.config/faceid.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

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
  Status forget(const std::string& server) const;

 private:
  std::string path_;
};

}  // namespace faceid::cli::client
