// A blocking HTTP client for end-to-end tests (libcurl). One instance per thread.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace faceid::testing {

struct HttpResult {
  int status = 0;  // 0 when the connection failed
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;                           // curl's message when status == 0
  double seconds = 0;

  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

// A multipart part: a plain field, or a file when `filename` is set.
struct Part {
  std::string name;
  std::string value;
  std::string filename;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
 public:
  explicit HttpClient(std::string base_url);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResult get(const std::string& path, const Headers& headers = {});
  HttpResult del(const std::string& path, const Headers& headers = {});
  HttpResult post(const std::string& path, const std::string& body, const std::string& content_type,
                  const Headers& headers = {});
  HttpResult post_json(const std::string& path, const nlohmann::json& body,
                       const Headers& headers = {});
  HttpResult post_multipart(const std::string& path, const std::vector<Part>& parts,
                            const Headers& headers = {});
  HttpResult request(const std::string& method, const std::string& path, const Headers& headers);

 private:
  HttpResult perform(const std::string& method, const std::string& path, const Headers& headers,
                     const std::string* body, const std::vector<Part>* parts);
  std::string base_;
  void* curl_;
};

inline Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

}  // namespace faceid::testing
