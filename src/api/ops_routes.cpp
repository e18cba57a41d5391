// /health, /ready, /metrics.
#include "api/ops_routes.h"

#include <chrono>

#include "api/json_response.h"
#include "auth/token_service.h"
#include "http/error_response.h"

namespace faceid::api {

void add_ops_routes(http::Router& router, const OpsContext& ctx) {
  auto started = std::chrono::steady_clock::now();
  router.get("/health", [&ctx, started](http::Request&) {
    double uptime =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return json_response(200,
                         {{"status", "ok"}, {"version", ctx.version}, {"uptime_seconds", uptime}});
  });

  router.get("/ready", [&ctx](http::Request&) {
    nlohmann::json checks = nlohmann::json::object();
    bool ready = true;
    for (const auto& c : ctx.checks) {
      Status s = c.check();
      // Only the code goes out: the message may hold internals (paths, server errors).
      checks[c.name] = s.ok() ? "ok" : s.error().code;
      ready = ready && s.ok();
    }
    return json_response(ready ? 200 : 503,
                         {{"status", ready ? "ready" : "not_ready"}, {"checks", checks}});
  });

  router.get("/metrics", [&ctx](http::Request& req) {
    if (ctx.metrics_token.empty() && ctx.production) {
      return http::error_response(403, "forbidden",
                                  "Metrics are not public in production: set METRICS_TOKEN", {},
                                  req.correlation_id);
    }
    if (!ctx.metrics_token.empty() &&
        !auth::TokenService::constant_time_equal(req.header("authorization"),
                                                 "Bearer " + ctx.metrics_token)) {
      auto res = http::error_response(401, "not_authenticated", "Metrics need the bearer token", {},
                                      req.correlation_id);
      res.set_header("WWW-Authenticate", "Bearer");
      return res;
    }
    http::Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    if (ctx.before_metrics) ctx.before_metrics();
    r.body = ctx.metrics->render();
    return r;
  });
}

}  // namespace faceid::api
