// Registration of the product metrics.
#include "observability/auth_metrics.h"

namespace faceid::observability {
namespace {
prometheus::Histogram::BucketBoundaries match_buckets() {
  return {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.0};
}
prometheus::Histogram::BucketBoundaries search_buckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05};
}
}  // namespace

AuthMetrics::AuthMetrics(prometheus::Registry& r)
    : registrations_(prometheus::BuildCounter()
                         .Name("faceid_registration_attempts_total")
                         .Help("Registration attempts by outcome")
                         .Register(r)),
      logins_(prometheus::BuildCounter()
                  .Name("faceid_login_attempts_total")
                  .Help("Face sign-in attempts by mode (login = 1:N, verify = 1:1) and outcome")
                  .Register(r)),
      liveness_(prometheus::BuildCounter()
                    .Name("faceid_liveness_checks_total")
                    .Help("Passive liveness checks by result")
                    .Register(r)),
      match_latency_(prometheus::BuildHistogram()
                         .Name("faceid_face_match_latency_seconds")
                         .Help("Face pipeline plus matching time per sign-in attempt")
                         .Register(r)
                         .Add({}, match_buckets())),
      search_latency_(prometheus::BuildHistogram()
                          .Name("faceid_vector_search_duration_seconds")
                          .Help("1:N vector search time")
                          .Register(r)
                          .Add({}, search_buckets())),
      rate_limit_hits_(prometheus::BuildCounter()
                           .Name("faceid_rate_limit_hits_total")
                           .Help("Requests refused by a rate limit, by route group")
                           .Register(r)),
      active_users_(prometheus::BuildGauge()
                        .Name("faceid_active_users_total")
                        .Help("Active user accounts")
                        .Register(r)
                        .Add({})),
      locked_accounts_(prometheus::BuildGauge()
                           .Name("faceid_locked_accounts_total")
                           .Help("Accounts locked right now")
                           .Register(r)
                           .Add({})),
      match_threshold_(prometheus::BuildGauge()
                           .Name("faceid_match_threshold")
                           .Help("Face distance accepted, by decision (one_to_one: an account with "
                                 "one template; face_only: 1:N at the current accounts)")
                           .Register(r)),
      match_expected_(prometheus::BuildGauge()
                          .Name("faceid_match_expected_error_rate")
                          .Help("Error rates expected at the thresholds in force (calibration "
                                "table on LFW), by decision and rate (fmr, fnmr, fpir)")
                          .Register(r)),
      face_only_enabled_(prometheus::BuildGauge()
                             .Name("faceid_face_only_enabled")
                             .Help("1 while face-only sign-in (1:N) is answered, 0 while an "
                                   "identifier is required")
                             .Register(r)
                             .Add({})) {
  // Series that exist from the start, so dashboards and alerts see zeros, not gaps.
  for (const char* outcome :
       {"success", "validation_error", "registration_refused", "liveness_failed"}) {
    registrations_.Add({{"outcome", outcome}});
  }
  for (const char* mode : {"login", "verify"}) {
    for (const char* outcome : {"success", "no_match", "liveness_failed", "locked"}) {
      logins_.Add({{"mode", mode}, {"outcome", outcome}});
    }
  }
  liveness_.Add({{"result", "live"}});
  liveness_.Add({{"result", "spoof"}});
  for (const char* group : {"register", "login", "default"})
    rate_limit_hits_.Add({{"route", group}});
}

void AuthMetrics::set_operating_point(const MatchOperatingPoint& p) {
  match_threshold_.Add({{"decision", "one_to_one"}}).Set(p.one_to_one_threshold);
  match_expected_.Add({{"decision", "one_to_one"}, {"rate", "fmr"}}).Set(p.one_to_one_fmr);
  match_expected_.Add({{"decision", "one_to_one"}, {"rate", "fnmr"}}).Set(p.one_to_one_fnmr);
  face_only_enabled_.Set(p.face_only ? 1 : 0);
  match_threshold_.Add({{"decision", "face_only"}}).Set(p.face_only ? p.face_only_threshold : 0);
  match_expected_.Add({{"decision", "face_only"}, {"rate", "fpir"}}).Set(p.face_only_fpir);
  match_expected_.Add({{"decision", "face_only"}, {"rate", "fnmr"}}).Set(p.face_only_fnmr);
}

void AuthMetrics::registration(const std::string& outcome) {
  registrations_.Add({{"outcome", outcome}}).Increment();
}
void AuthMetrics::login(const std::string& mode, const std::string& outcome) {
  logins_.Add({{"mode", mode}, {"outcome", outcome}}).Increment();
}
void AuthMetrics::liveness(bool passed) {
  liveness_.Add({{"result", passed ? "live" : "spoof"}}).Increment();
}
void AuthMetrics::face_match_latency(double s) { match_latency_.Observe(s); }
void AuthMetrics::vector_search(double s) { search_latency_.Observe(s); }
void AuthMetrics::rate_limit_hit(const std::string& group) {
  rate_limit_hits_.Add({{"route", group}}).Increment();
}
void AuthMetrics::set_accounts(std::int64_t active, std::int64_t locked) {
  active_users_.Set(static_cast<double>(active));
  locked_accounts_.Set(static_cast<double>(locked));
}

}  // namespace faceid::observability
