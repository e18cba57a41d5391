// Standard middleware implementations.
#include "http/middleware.h"

#include <algorithm>
#include <chrono>

#include "http/correlation_id.h"
#include "http/error_response.h"

namespace faceid::http {

Middleware correlation_id_middleware() {
  return [](Request& req, const Next& next) {
    if (req.correlation_id.empty()) {
      req.correlation_id =
          correlation_id_for(req.header("x-request-id"), req.header("x-correlation-id"));
    }
    Response res = next(req);
    res.set_header("X-Request-ID", req.correlation_id);
    res.set_header("X-Correlation-ID", req.correlation_id);
    return res;
  };
}

Middleware access_log_middleware(observability::LoggerPtr logger) {
  return [logger = std::move(logger)](Request& req, const Next& next) {
    auto start = std::chrono::steady_clock::now();
    Response res = next(req);
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    observability::Fields f = {{"correlation_id", req.correlation_id},
                               {"method", req.method},
                               {"path", req.path},
                               {"route", req.route},
                               {"status", static_cast<long long>(res.status)},
                               {"duration_ms", ms},
                               {"client_ip", req.client_ip}};
    if (!req.internal_error.empty()) f.emplace_back("error", req.internal_error);
    auto level =
        res.status >= 500 ? observability::LogLevel::kError : observability::LogLevel::kInfo;
    logger->log(level, "request", f);
    return res;
  };
}

Middleware metrics_middleware(observability::Metrics& metrics) {
  return [&metrics](Request& req, const Next& next) {
    auto start = std::chrono::steady_clock::now();
    Response res = next(req);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics.observe_request(req.method, req.route.empty() ? kUnmatchedRoute : req.route, res.status,
                            s);
    return res;
  };
}

Middleware cors_middleware(std::vector<std::string> allowed_origins) {
  bool any =
      std::find(allowed_origins.begin(), allowed_origins.end(), "*") != allowed_origins.end();
  return [origins = std::move(allowed_origins), any](Request& req, const Next& next) {
    std::string origin = req.header("origin");
    // "null" is what sandboxed iframes and file: pages send: anyone can forge it.
    bool listed = !origin.empty() && origin != "null" &&
                  std::find(origins.begin(), origins.end(), origin) != origins.end();
    bool allowed = listed || (any && !origin.empty() && origin != "null");
    bool preflight =
        req.method == "OPTIONS" && !req.header("access-control-request-method").empty();
    Response res;
    if (preflight) {
      req.route = "preflight";
      res.status = allowed ? 204 : 403;
      if (!allowed) {
        res = error_response(403, "cors_forbidden", "Origin not allowed", {}, req.correlation_id);
      }
    } else {
      res = next(req);
    }
    if (!allowed) return res;
    if (listed) {
      res.set_header("Access-Control-Allow-Origin", origin);
      res.set_header("Access-Control-Allow-Credentials", "true");
      res.set_header("Vary", "Origin");
    } else {
      res.set_header("Access-Control-Allow-Origin", "*");
    }
    res.set_header("Access-Control-Expose-Headers", "X-Request-ID, X-Correlation-ID, Retry-After");
    if (preflight) {
      res.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
      res.set_header("Access-Control-Allow-Headers",
                     "Authorization, Content-Type, X-Request-ID, X-Correlation-ID");
      res.set_header("Access-Control-Max-Age", "600");
    }
    return res;
  };
}

Middleware body_limit_middleware(long long max_body_bytes) {
  return [max_body_bytes](Request& req, const Next& next) {
    if (req.body_error == "too_large") {
      req.route = kUnmatchedRoute;
      return error_response(413, "payload_too_large",
                            "Request body exceeds " + std::to_string(max_body_bytes >> 20) + " MB",
                            {}, req.correlation_id);
    }
    if (req.body_error == "invalid_form") {
      req.route = kUnmatchedRoute;
      return error_response(400, "invalid_body", "Malformed form body", {}, req.correlation_id);
    }
    return next(req);
  };
}

void apply_security_headers(Response& res) {
  res.set_header("X-Content-Type-Options", "nosniff");
  if (!res.find_header("Cache-Control")) res.set_header("Cache-Control", "no-store");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
}

Middleware security_headers_middleware() {
  return [](Request& req, const Next& next) {
    Response res = next(req);
    apply_security_headers(res);
    return res;
  };
}

}  // namespace faceid::http
