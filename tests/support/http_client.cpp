// libcurl-backed test client.
#include "support/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

namespace faceid::testing {
namespace {

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string key = line.substr(0, colon);
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t\r\n") + 1);
    (*static_cast<std::map<std::string, std::string>*>(user))[key] = value;
  }
  return size * n;
}

}  // namespace

HttpClient::HttpClient(std::string base_url)
    : base_(std::move(base_url)), curl_(curl_easy_init()) {}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

HttpResult HttpClient::get(const std::string& path, const Headers& headers) {
  return perform("GET", path, headers, nullptr, nullptr);
}
HttpResult HttpClient::del(const std::string& path, const Headers& headers) {
  return perform("DELETE", path, headers, nullptr, nullptr);
}
HttpResult HttpClient::request(const std::string& method, const std::string& path,
                               const Headers& headers) {
  return perform(method, path, headers, nullptr, nullptr);
}
HttpResult HttpClient::post(const std::string& path, const std::string& body,
                            const std::string& content_type, const Headers& headers) {
  Headers h = headers;
  h.emplace_back("Content-Type", content_type);
  return perform("POST", path, h, &body, nullptr);
}
HttpResult HttpClient::post_json(const std::string& path, const nlohmann::json& body,
                                 const Headers& headers) {
  return post(path, body.dump(), "application/json", headers);
}
HttpResult HttpClient::post_multipart(const std::string& path, const std::vector<Part>& parts,
                                      const Headers& headers) {
  return perform("POST", path, headers, nullptr, &parts);
}

HttpResult HttpClient::perform(const std::string& method, const std::string& path,
                               const Headers& headers, const std::string* body,
                               const std::vector<Part>* parts) {
  CURL* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);
  HttpResult r;
  std::string url = base_ + path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  curl_slist* list = nullptr;
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
  for (const auto& [k, v] : headers) list = curl_slist_append(list, (k + ": " + v).c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_mime* mime = nullptr;
  if (body != nullptr) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  } else if (parts != nullptr) {
    mime = curl_mime_init(c);
    for (const auto& p : *parts) {
      curl_mimepart* part = curl_mime_addpart(mime);
      curl_mime_name(part, p.name.c_str());
      curl_mime_data(part, p.value.data(), p.value.size());
      if (!p.filename.empty()) {
        curl_mime_filename(part, p.filename.c_str());
        curl_mime_type(part, "application/octet-stream");
      }
    }
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    r.status = static_cast<int>(status);
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &r.seconds);
  } else {
    r.error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(list);
  if (mime) curl_mime_free(mime);
  return r;
}

}  // namespace faceid::testing
