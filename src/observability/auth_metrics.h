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

// The match decisions in force (face/match_calibration.h), as /metrics states them.
struct MatchOperatingPoint {
  double one_to_one_threshold = 0;  // for an account with one template
  double one_to_one_fmr = 0;        // expected, from the calibration table
  double one_to_one_fnmr = 0;
  bool face_only = false;          // face-only 1:N answered at the current number of accounts
  double face_only_threshold = 0;  // when face_only
  double face_only_fpir = 0;       // expected, at the current number of accounts
  double face_only_fnmr = 0;
};

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
  void set_operating_point(const MatchOperatingPoint& p);

 private:
  prometheus::Family<prometheus::Counter>& registrations_;
  prometheus::Family<prometheus::Counter>& logins_;
  prometheus::Family<prometheus::Counter>& liveness_;
  prometheus::Histogram& match_latency_;
  prometheus::Histogram& search_latency_;
  prometheus::Family<prometheus::Counter>& rate_limit_hits_;
  prometheus::Gauge& active_users_;
  prometheus::Gauge& locked_accounts_;
  prometheus::Family<prometheus::Gauge>& match_threshold_;
  prometheus::Family<prometheus::Gauge>& match_expected_;
  prometheus::Gauge& face_only_enabled_;
};

}  // namespace faceid::observability
