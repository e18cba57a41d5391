// Accessors for Request and Response.
#include "http/request.h"

#include <strings.h>

#include <algorithm>
#include <cctype>

#include "http/form_parser.h"

namespace faceid::http {

std::string Request::header(std::string_view name) const {
  std::string key(name);
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  auto it = headers.find(key);
  return it == headers.end() ? std::string() : it->second;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  std::string_view q(query);
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    auto eq = pair.find('=');
    if (url_decode(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::vector<const FormField*> Request::form_fields(std::string_view name) const {
  std::vector<const FormField*> out;
  for (const auto& f : form) {
    if (f.name == name) out.push_back(&f);
  }
  return out;
}

const FormField* Request::form_field(std::string_view name) const {
  for (const auto& f : form)
    if (f.name == name) return &f;
  return nullptr;
}

void Response::set_header(std::string name, std::string value) {
  for (auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) {
      v = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

const std::string* Response::find_header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && strncasecmp(k.c_str(), name.data(), name.size()) == 0) return &v;
  return nullptr;
}

}  // namespace faceid::http
