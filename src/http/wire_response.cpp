// Response serialisation. Headers come from our own code (never echoed raw from a client
// without validation), so they are written as they are.
#include "http/wire_response.h"

#include "http/error_response.h"
#include "http/middleware.h"

namespace faceid::http {

std::string to_wire(const Response& response, bool include_body, bool keep_alive) {
  std::string out;
  out.reserve(256 + (include_body ? response.body.size() : 0));
  out += "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += status_text(response.status);
  out += "\r\n";
  if (!response.content_type.empty()) {
    out += "Content-Type: ";
    out += response.content_type;
    out += "\r\n";
  }
  // RFC 9110 8.6: no Content-Length on 204 and 304 (their bodies are always empty).
  if (response.status != 204 && response.status != 304) {
    out += "Content-Length: ";
    out += std::to_string(response.body.size());
    out += "\r\n";
  }
  for (const auto& [name, value] : response.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  if (include_body && response.status != 204 && response.status != 304) out += response.body;
  return out;
}

Response edge_error(int status, const std::string& code, const std::string& message,
                    const std::string& correlation_id) {
  Response res = error_response(status, code, message, {}, correlation_id);
  apply_security_headers(res);
  res.set_header("X-Request-ID", correlation_id);
  res.set_header("X-Correlation-ID", correlation_id);
  return res;
}

}  // namespace faceid::http
