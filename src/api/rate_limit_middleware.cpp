// Rate limiting at the API edge.
#include "api/rate_limit_middleware.h"

#include "api/request_helpers.h"
#include "http/error_response.h"

namespace faceid::api {
namespace {
ratelimit::RateLimit limit_of(const config::RateSpec& r) {
  return {r.count, std::chrono::seconds(r.window_seconds)};
}
// Paths that match no route reach no handler, but each is a log line and a 404: a client
// probing (or flooding) them gets this many a minute. Unmatched /api paths stay in "default".
const config::RateSpec& unmatched_limit() {
  static const config::RateSpec spec{60, 60, "60/minute"};
  return spec;
}
}  // namespace

std::string rate_limit_group(const std::string& method, const std::string& path) {
  if (path.rfind("/api/", 0) != 0) return "";
  if (method == "POST" && path == "/api/v1/auth/register") return "register";
  if (method == "POST" && (path == "/api/v1/auth/login" || path == "/api/v1/auth/verify")) {
    return "login";
  }
  // Each sign-in starts with a challenge: issuing them is limited like signing in, in a
  // bucket of its own so that asking for one does not use up a login.
  if (method == "POST" && path == "/api/v1/liveness/challenges") return "challenge";
  return "default";
}

http::Middleware rate_limit_middleware(const ApiContext& ctx) {
  return [&ctx](http::Request& req, const http::Next& next) {
    const auto& cfg = ctx.config;
    // The matched route template (set by the Router before middleware), never the raw path:
    // only unmatched paths, which reach no handler, fall back to it for the default bucket.
    std::string group = rate_limit_group(req.method, req.route.empty() ? req.path : req.route);
    if (group.empty() && req.route.empty()) group = "unmatched";
    if (!cfg.rate_limit_enabled || group.empty() || req.method == "OPTIONS") return next(req);
    const config::RateSpec& spec = group == "register" ? cfg.rate_limit_register
                                   : group == "login" || group == "challenge" ? cfg.rate_limit_login
                                   : group == "unmatched"                     ? unmatched_limit()
                                                          : cfg.rate_limit_default;
    auto decision = ctx.limiter.hit(group + ":" + req.client_ip, limit_of(spec));
    if (!decision) {
      // The shared limiter is unreachable: fail closed by default, so an outage of Redis
      // cannot switch brute-force protection off; RATE_LIMIT_FAIL_OPEN trades that for uptime.
      if (cfg.rate_limit_fail_open) return next(req);
      req.route = "rate_limited";
      return http::error_response(503, "service_unavailable",
                                  "Rate limiter unavailable; try again shortly", {},
                                  req.correlation_id);
    }
    if (!decision->allowed) {
      req.route = "rate_limited";
      ctx.auth.metrics.rate_limit_hit(group);
      if (group == "login") ctx.face_auth.record_rate_limited(client_of(req));
      auto res = http::error_response(
          429, "rate_limited",
          "Too many requests; retry after " + std::to_string(decision->retry_after.count()) + " s",
          {}, req.correlation_id);
      res.set_header("Retry-After",
                     std::to_string(std::max<long long>(1, decision->retry_after.count())));
      res.set_header("X-RateLimit-Limit", std::to_string(decision->limit));
      res.set_header("X-RateLimit-Remaining", "0");
      return res;
    }
    http::Response res = next(req);
    res.set_header("X-RateLimit-Limit", std::to_string(decision->limit));
    res.set_header("X-RateLimit-Remaining", std::to_string(decision->remaining));
    return res;
  };
}

}  // namespace faceid::api
