// Admin handlers.
#include "api/admin_routes.h"

#include <charconv>

#include "api/error_mapping.h"
#include "api/json_response.h"
#include "api/request_helpers.h"

namespace faceid::api {
namespace {

constexpr int kMaxAttemptsListed = 1000;

// An integer query parameter within [lo, hi], `fallback` when absent.
Result<long long> int_param(const http::Request& req, const char* name, long long fallback,
                            long long lo, long long hi) {
  auto v = req.query_param(name);
  if (!v) return fallback;
  long long out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size() || out < lo || out > hi) {
    return make_error("validation_error", "Some fields are invalid",
                      {std::string(name) + ": must be an integer in [" + std::to_string(lo) + ", " +
                       std::to_string(hi) + "]"});
  }
  return out;
}

http::Response failed_attempts(const ApiContext& ctx, http::Request& req) {
  auto admin = authenticate_admin(req, ctx);
  if (!admin) return error_for(admin.error(), req);
  auto hours = int_param(req, "hours", 24, 1, 24LL * 90);
  if (!hours) return error_for(hours.error(), req);
  auto since = ctx.auth.clock.now() - std::chrono::hours(*hours);
  auto rows = ctx.auth.store.failed_attempts_since(since, kMaxAttemptsListed);
  if (!rows) return error_for(rows.error(), req);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& a : *rows) list.push_back(attempt_json(a));
  return json_response(200, {{"hours", *hours}, {"count", rows->size()}, {"attempts", list}});
}

http::Response suspicious(const ApiContext& ctx, http::Request& req) {
  auto admin = authenticate_admin(req, ctx);
  if (!admin) return error_for(admin.error(), req);
  auto threshold = int_param(req, "threshold", 5, 1, 1'000'000);
  if (!threshold) return error_for(threshold.error(), req);
  auto hours = int_param(req, "hours", 24, 1, 24LL * 90);
  if (!hours) return error_for(hours.error(), req);
  auto since = ctx.auth.clock.now() - std::chrono::hours(*hours);
  auto act = ctx.auth.store.suspicious_activity(since, *threshold);
  if (!act) return error_for(act.error(), req);
  nlohmann::json ips = nlohmann::json::array();
  for (const auto& c : act->ips) ips.push_back({{"ip", c.key}, {"failed_attempts", c.count}});
  nlohmann::json accounts = nlohmann::json::array();
  for (const auto& c : act->accounts) {
    accounts.push_back({{"user_id", c.key}, {"failed_attempts", c.count}});
  }
  return json_response(200, {{"threshold", *threshold},
                             {"hours", *hours},
                             {"suspicious_ips", ips},
                             {"suspicious_accounts", accounts}});
}

http::Response metrics_summary(const ApiContext& ctx, http::Request& req) {
  auto admin = authenticate_admin(req, ctx);
  if (!admin) return error_for(admin.error(), req);
  TimePoint now = ctx.auth.clock.now();
  auto summary = ctx.auth.store.summary(now);
  if (!summary) return error_for(summary.error(), req);
  nlohmann::json periods = nlohmann::json::object();
  for (auto [name, span] : {std::pair{"last_hour", std::chrono::hours(1)},
                            {"last_24_hours", std::chrono::hours(24)},
                            {"last_7_days", std::chrono::hours(24 * 7)}}) {
    auto stats = ctx.auth.store.login_stats(now - span);
    if (!stats) return error_for(stats.error(), req);
    auto total = stats->successes + stats->failures;
    periods[name] = {{"successful_logins", stats->successes},
                     {"failed_attempts", stats->failures},
                     {"success_rate", total ? nlohmann::json(static_cast<double>(stats->successes) /
                                                             static_cast<double>(total))
                                            : nlohmann::json(nullptr)}};
  }
  return json_response(200, {{"users",
                              {{"total", summary->users},
                               {"active", summary->active_users},
                               {"locked", summary->locked_users}}},
                             {"face_templates", summary->templates},
                             {"attempts", periods},
                             {"generated_at", iso_time(now)}});
}

http::Response unlock(const ApiContext& ctx, http::Request& req) {
  auto admin = authenticate_admin(req, ctx);
  if (!admin) return error_for(admin.error(), req);
  auto user = ctx.accounts.unlock(req.path_params["id"], client_of(req));
  if (!user) return error_for(user.error(), req);
  return json_response(
      200, {{"message", "User unlocked"}, {"user", full_user(*user, ctx.auth.clock.now())}});
}

}  // namespace

void add_admin_routes(http::Router& router, const ApiContext& ctx) {
  const auto* c = &ctx;
  router.get("/api/v1/admin/failed-attempts",
             [c](http::Request& r) { return failed_attempts(*c, r); });
  router.get("/api/v1/admin/suspicious-activity",
             [c](http::Request& r) { return suspicious(*c, r); });
  router.get("/api/v1/admin/metrics-summary",
             [c](http::Request& r) { return metrics_summary(*c, r); });
  router.post("/api/v1/admin/users/{id}/unlock", [c](http::Request& r) { return unlock(*c, r); });
}

}  // namespace faceid::api
