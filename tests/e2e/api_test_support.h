// Shared helpers for the API end-to-end tests: photos, registration and login calls.
#pragma once

#include <string>

#include "support/http_client.h"
#include "support/server_process.h"

namespace faceid::testing {

inline std::string photo(const std::string& name) {
  return read_file(std::string(FACEID_TESTDATA_DIR) + "/faces/" + name);
}
inline std::string live_capture(const std::string& name) {
  return read_file(std::string(FACEID_TESTDATA_DIR) + "/liveness/" + name);
}

inline HttpResult register_user(HttpClient& c, const std::string& username,
                                const std::string& image, const std::string& email = "",
                                const std::string& password = "Correct-Horse-42") {
  return c.post_multipart("/api/v1/auth/register",
                          {{"username", username},
                           {"email", email.empty() ? username + "@example.com" : email},
                           {"password", password},
                           {"face_image", image, "face.jpg"}});
}

inline HttpResult login(HttpClient& c, const std::string& image) {
  return c.post_multipart("/api/v1/auth/login", {{"face_image", image, "face.jpg"}});
}

inline HttpResult verify(HttpClient& c, const std::string& username, const std::string& image,
                         const std::string& password = "") {
  std::vector<Part> parts = {{"username", username}, {"face_image", image, "face.jpg"}};
  if (!password.empty()) parts.push_back({"password", password});
  return c.post_multipart("/api/v1/auth/verify", parts);
}

// The environment for recognition tests: web photos are not live captures, so liveness is
// off; rate limits are off except where a test is about them.
inline Env recognition_env(Env extra = {}) {
  Env env = {{"LIVENESS_ENABLED", "false"}, {"RATE_LIMIT_ENABLED", "false"}};
  for (auto& [k, v] : extra) env[k] = v;
  return env;
}

}  // namespace faceid::testing
