// The standard middleware: correlation ids, access log, request metrics, CORS, body limits
// and security headers. Each is a small function object added to the Router with use().
#pragma once

#include <string>
#include <vector>

#include "http/router.h"
#include "observability/logger.h"
#include "observability/metrics.h"

namespace faceid::http {

// Takes the caller's X-Request-ID / X-Correlation-ID or mints one; echoes it in the response.
Middleware correlation_id_middleware();

// One JSON log line per request (5xx at error level, with the exception text if any).
Middleware access_log_middleware(observability::LoggerPtr logger);

// Request counter and latency histogram by method, route template and status.
Middleware metrics_middleware(observability::Metrics& metrics);

// CORS for the configured origins; answers preflight requests itself. "*" answers a literal
// "*" without credentials (a cross-site page can read public responses, never a user's);
// explicit origins are echoed, with credentials, only when listed; "null" is never allowed.
Middleware cors_middleware(std::vector<std::string> allowed_origins);

// Turns the server's body_error marks into 413 payload_too_large / 400 invalid_body.
Middleware body_limit_middleware(long long max_body_bytes,
                                 long long max_json_body_bytes = kMaxJsonBodyBytes);

// nosniff, no-store and friends on every response.
Middleware security_headers_middleware();
// The same headers, for responses the server gives without the Router (parser errors).
void apply_security_headers(Response& response);

}  // namespace faceid::http
