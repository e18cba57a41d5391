// Operations endpoints: /health (liveness of the process), /ready (dependencies answer),
// /metrics (Prometheus text).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "http/router.h"
#include "observability/metrics.h"

namespace faceid::api {

// One dependency /ready asks; returns an error saying what is wrong.
struct ReadinessCheck {
  std::string name;  // "store", "models", "redis", ...
  std::function<Status()> check;
};

struct OpsContext {
  std::string version;
  std::vector<ReadinessCheck> checks;
  observability::Metrics* metrics = nullptr;
  std::function<void()> before_metrics;  // refreshes gauges read from the store
  // Non-empty: /metrics wants "Authorization: Bearer <metrics_token>". Empty in production:
  // /metrics is not served (operators opt in by setting METRICS_TOKEN).
  std::string metrics_token;
  bool production = false;
};

// Registers the routes. `ctx` must outlive the router.
void add_ops_routes(http::Router& router, const OpsContext& ctx);

}  // namespace faceid::api
