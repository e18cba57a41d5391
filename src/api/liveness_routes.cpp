// Challenge issuing. The answer lists the actions in the order they must be performed and
// the bounds on the frames a response may carry; the response goes to register, login or
// verify as challenge_id + repeated "frames" parts.
#include "api/liveness_routes.h"

#include <chrono>

#include "api/error_mapping.h"
#include "api/json_response.h"
#include "liveness/challenge_verifier.h"

namespace faceid::api {
namespace {

http::Response issue_challenge(const ApiContext& ctx, http::Request& req) {
  if (ctx.auth.challenges == nullptr ||
      ctx.auth.settings.challenge_mode == auth::ChallengeMode::kOff) {
    return error_for(make_error("not_found", "Liveness challenges are turned off"), req);
  }
  liveness::ChallengeService& service = ctx.auth.challenges->challenges();
  auto challenge = service.issue(req.client_ip);
  if (!challenge) return error_for(challenge.error(), req);
  nlohmann::json actions = nlohmann::json::array();
  for (liveness::Action a : challenge->actions) actions.push_back(liveness::action_name(a));
  const auto& o = service.options();
  http::Response res = json_response(
      201, {{"challenge_id", challenge->id},
            {"actions", actions},
            {"expires_in", std::chrono::duration_cast<std::chrono::seconds>(o.lifetime).count()},
            {"min_frames", o.min_frames},
            {"max_frames", o.max_frames}});
  res.set_header("Cache-Control", "no-store");
  return res;
}

}  // namespace

void add_liveness_routes(http::Router& router, const ApiContext& ctx) {
  const auto* c = &ctx;
  router.post("/api/v1/liveness/challenges",
              [c](http::Request& r) { return issue_challenge(*c, r); });
}

}  // namespace faceid::api
