// The bytes of an HTTP/1.1 response, and the responses the server itself gives before a
// request reaches the Router (parser errors, deadlines, a full work queue, shutdown): the
// same JSON error shape, security headers and correlation id as every routed response.
#pragma once

#include <string>

#include "http/request.h"

namespace faceid::http {

// Status line, Content-Type, Content-Length, the response's headers, Connection; the body
// unless `include_body` is false (HEAD).
std::string to_wire(const Response& response, bool include_body, bool keep_alive);

// error_response() plus the security headers and X-Request-ID / X-Correlation-ID.
Response edge_error(int status, const std::string& code, const std::string& message,
                    const std::string& correlation_id);

}  // namespace faceid::http
