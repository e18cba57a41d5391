// libcurl behind ApiClient. curl_global_init runs once (it is not thread-safe).
#include "cli/client/api_client.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace faceid::cli::client {
namespace {

size_t append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
  void operator()(curl_mime* m) const { curl_mime_free(m); }
};

}  // namespace

ApiClient::ApiClient(std::string base_url, long timeout_seconds)
    : base_(std::move(base_url)), timeout_seconds_(timeout_seconds) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Result<Reply> ApiClient::get(const std::string& path, const std::string& bearer) const {
  return perform("GET", path, bearer, nullptr, nullptr);
}
Result<Reply> ApiClient::del(const std::string& path, const std::string& bearer) const {
  return perform("DELETE", path, bearer, nullptr, nullptr);
}
Result<Reply> ApiClient::post_json(const std::string& path, const nlohmann::json& body) const {
  return perform("POST", path, "", &body, nullptr);
}
Result<Reply> ApiClient::post_multipart(const std::string& path,
                                        const std::vector<Part>& parts) const {
  return perform("POST", path, "", nullptr, &parts);
}

Result<Reply> ApiClient::perform(const std::string& method, const std::string& path,
                                 const std::string& bearer, const nlohmann::json* json,
                                 const std::vector<Part>* parts) const {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return make_error("internal", "cannot initialise libcurl");
  CURL* c = curl.get();
  std::string url = base_ + path;
  std::string response;
  std::string payload;
  std::unique_ptr<curl_slist, CurlDeleter> headers;
  std::unique_ptr<curl_mime, CurlDeleter> mime;
  auto add_header = [&](const std::string& h) {
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  };
  add_header("Accept: application/json");
  if (!bearer.empty()) add_header("Authorization: Bearer " + bearer);

  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_seconds_);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "faceid-client");
  if (json != nullptr) {
    payload = json->dump();
    add_header("Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  } else if (parts != nullptr) {
    mime.reset(curl_mime_init(c));
    for (const auto& p : *parts) {
      curl_mimepart* part = curl_mime_addpart(mime.get());
      curl_mime_name(part, p.name.c_str());
      curl_mime_data(part, p.value.data(), p.value.size());
      if (!p.filename.empty()) curl_mime_filename(part, p.filename.c_str());
    }
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime.get());
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    return make_error("unreachable", "cannot reach " + base_ + ": " + curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  auto body = nlohmann::json::parse(response, nullptr, false);
  if (body.is_discarded()) body = nullptr;
  return Reply{static_cast<int>(status), std::move(body)};
}

}  // namespace faceid::cli::client
