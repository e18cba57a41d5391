// The product metrics of issue #5, with the exact names dashboards expect. Thin wrappers so
// services record outcomes without knowing prometheus-cpp. Thread-safe (prometheus-cpp).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <string>

namespace faceid::observability {

class AuthMetrics {
 public:
  explicit AuthMetrics(prometheus::Registry& registry);

  void registration(const std::string& outcome);
  void login(const std::string& mode, const std::string& outcome);  // mode: login | verify
  void liveness(bool passed);
  void face_match_latency(double seconds);
  void vector_search(double seconds);
  void rate_limit_hit(const std::string& route_group);
  void set_accounts(std::int64_t active_users, std::int64_t locked_accounts);

 private:
  prometheus::Family<prometheus::Counter>& registrations_;
  prometheus::Family<prometheus::Counter>& logins_;
  prometheus::Family<prometheus::Counter>& liveness_;
  prometheus::Histogram& match_latency_;
  prometheus::Histogram& search_latency_;
  prometheus::Family<prometheus::Counter>& rate_limit_hits_;
  prometheus::Gauge& active_users_;
  prometheus::Gauge& locked_accounts_;
};

}  // namespace faceid::observability
