// ApiClient: the few HTTP calls the command-line client makes to a FaceID server (libcurl).
// One instance per thread; each call is a fresh connection (the client makes a handful).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.h"

namespace faceid::cli::client {

// The server's answer: any HTTP status is a Reply; only a failed exchange is an Error
// ("unreachable").
struct Reply {
  int status = 0;
  nlohmann::json body;  // null when the body is not JSON
};

// A multipart part: a field, or a file when `filename` is set.
struct Part {
  std::string name;
  std::string value;
  std::string filename;
};

class ApiClient {
 public:
  explicit ApiClient(std::string base_url, long timeout_seconds = 60);

  Result<Reply> get(const std::string& path, const std::string& bearer = "") const;
  Result<Reply> del(const std::string& path, const std::string& bearer = "") const;
  Result<Reply> post_json(const std::string& path, const nlohmann::json& body) const;
  Result<Reply> post_multipart(const std::string& path, const std::vector<Part>& parts) const;

 private:
  Result<Reply> perform(const std::string& method, const std::string& path,
                        const std::string& bearer, const nlohmann::json* json,
                        const std::vector<Part>* parts) const;
  std::string base_;
  long timeout_seconds_;
};

}  // namespace faceid::cli::client
