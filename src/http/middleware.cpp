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

namespace {
// Paths are the client's to choose (up to the 16 KiB head): a log line quotes only their start,
// so a flood of long paths cannot fill (and rotate away) the log.
constexpr std::size_t kMaxLoggedPathBytes = 256;
}  // namespace

Middleware access_log_middleware(observability::LoggerPtr logger) {
  return [logger = std::move(logger)](Request& req, const Next& next) {
    auto start = std::chrono::steady_clock::now();
    Response res = next(req);
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    bool long_path = req.path.size() > kMaxLoggedPathBytes;
    observability::Fields f = {
        {"correlation_id", req.correlation_id},
        {"method", req.method},
        {"path", long_path ? req.path.substr(0, kMaxLoggedPathBytes) + "..." : req.path},
        {"route", req.route},
        {"status", static_cast<long long>(res.status)},
        {"duration_ms", ms},
        {"client_ip", req.client_ip}};
    if (long_path) f.emplace_back("path_bytes", static_cast<long long>(req.path.size()));
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
    // With CORS on, every answer depends on Origin (allowed, refused or absent): caches must
    // not hand one origin's answer to another.
    if (!origins.empty()) res.set_header("Vary", "Origin");
    if (!allowed) return res;
    if (listed) {
      res.set_header("Access-Control-Allow-Origin", origin);
      res.set_header("Access-Control-Allow-Credentials", "true");
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

Middleware body_limit_middleware(long long max_body_bytes, long long max_json_body_bytes) {
  return [max_body_bytes, max_json_body_bytes](Request& req, const Next& next) {
    if (req.body_error == "too_large_json") {
      req.route = kUnmatchedRoute;
      return error_response(
          413, "payload_too_large",
          "JSON body exceeds " + std::to_string(max_json_body_bytes >> 10) + " KB", {},
          req.correlation_id);
    }
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
  // The sign-in page uses the camera itself; nothing else (no frame, no other feature) may.
  if (!res.find_header("Permissions-Policy")) {
    res.set_header("Permissions-Policy",
                   "camera=(self), microphone=(), geolocation=(), payment=(), usb=(), "
                   "display-capture=()");
  }
}

Middleware security_headers_middleware() {
  return [](Request& req, const Next& next) {
    Response res = next(req);
    apply_security_headers(res);
    return res;
  };
}

}  // namespace faceid::http
