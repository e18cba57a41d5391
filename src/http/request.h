// Request and Response: the plain data a handler sees. Nothing here knows sockets or Asio, so
// handlers and middleware are testable without a socket.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faceid::http {

// JSON bodies (refresh and logout tokens) are small: larger ones are refused unread, so a
// parser never builds megabytes of DOM from one request.
inline constexpr long long kMaxJsonBodyBytes = 16 << 10;

// One field of a multipart/form-data or urlencoded body.
struct FormField {
  std::string name;
  std::string filename;  // set for file uploads
  std::string value;
};

struct Request {
  std::string method;
  std::string path;   // URL-decoded path without the query
  std::string query;  // raw query string, without '?'
  std::string route;  // matched route template, e.g. "/api/v1/admin/users/{id}/unlock"
  std::string client_ip;
  std::string correlation_id;
  std::map<std::string, std::string> headers;      // keys lower-cased
  std::map<std::string, std::string> path_params;  // from "{name}" segments
  std::string body;                                // raw body (empty for forms)
  std::vector<FormField> form;                     // parsed form fields, in order
  // Set by the server before dispatch when the body could not be taken in: "too_large" or
  // "invalid_form". Middleware turns these into 413 / 400.
  std::string body_error;
  // Detail for the access log (exception text, a library's error), never sent to the client.
  // Mutable: error mapping records it while the request is otherwise read-only.
  mutable std::string internal_error;

  // Header value by case-insensitive name ("" when absent).
  std::string header(std::string_view name) const;
  // First query parameter with this name, URL-decoded.
  std::optional<std::string> query_param(std::string_view name) const;
  // First form field with this name.
  const FormField* form_field(std::string_view name) const;
  // Every form field with this name, in body order (repeated parts such as "frames").
  std::vector<const FormField*> form_fields(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  void set_header(std::string name, std::string value);
  const std::string* find_header(std::string_view name) const;
};

}  // namespace faceid::http
