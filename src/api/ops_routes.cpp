// /health, /ready, /metrics.
#include "api/ops_routes.h"

#include <chrono>

#include "api/json_response.h"

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

  router.get("/metrics", [&ctx](http::Request&) {
    http::Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    if (ctx.before_metrics) ctx.before_metrics();
    r.body = ctx.metrics->render();
    return r;
  });
}

}  // namespace faceid::api
