// Account owner routes.
#include "api/user_routes.h"

#include "api/error_mapping.h"
#include "api/json_response.h"
#include "api/request_helpers.h"

namespace faceid::api {
namespace {

constexpr int kMaxExportedAttempts = 1000;

nlohmann::json template_json(const store::FaceTemplate& t, bool with_embedding) {
  nlohmann::json j = {{"id", t.id},
                      {"model_version", t.model_version},
                      {"quality", t.quality},
                      {"created_at", iso_time(t.created_at)}};
  if (with_embedding) j["embedding"] = t.embedding;
  return j;
}

http::Response me(const ApiContext& ctx, http::Request& req) {
  auto user = authenticate(req, ctx);
  if (!user) return error_for(user.error(), req);
  auto templates = ctx.auth.store.templates_for_user(user->id);
  if (!templates) return error_for(templates.error(), req);
  nlohmann::json body = full_user(*user, ctx.auth.clock.now());
  body["face_templates"] = templates->size();
  return json_response(200, body);
}

http::Response delete_me(const ApiContext& ctx, http::Request& req) {
  auto user = authenticate_recent(req, ctx);
  if (!user) return error_for(user.error(), req);
  if (Status s = ctx.accounts.delete_account(user->id, client_of(req)); !s) {
    return error_for(s.error(), req);
  }
  return json_response(200, {{"message", "Account and biometric data deleted"}});
}

http::Response add_face(const ApiContext& ctx, http::Request& req) {
  auto user = authenticate(req, ctx);
  if (!user) return error_for(user.error(), req);
  if (Status s = require_multipart(req); !s) return error_for(s.error(), req);
  auto added = ctx.accounts.add_face(user->id, face_evidence(req), client_of(req));
  if (!added) return error_for(added.error(), req);
  auto all = ctx.auth.store.templates_for_user(user->id);
  return json_response(
      201, {{"template", template_json(*added, false)}, {"face_templates", all ? all->size() : 0}});
}

http::Response export_me(const ApiContext& ctx, http::Request& req) {
  auto user = authenticate_recent(req, ctx);
  if (!user) return error_for(user.error(), req);
  bool with_embeddings = req.query_param("include_embeddings").value_or("") == "true";
  auto templates = ctx.auth.store.templates_for_user(user->id);
  if (!templates) return error_for(templates.error(), req);
  nlohmann::json faces = nlohmann::json::array();
  for (const auto& t : *templates) faces.push_back(template_json(t, with_embeddings));
  auto attempts = ctx.auth.store.failed_attempts_for_user(user->id, kMaxExportedAttempts);
  if (!attempts) return error_for(attempts.error(), req);
  nlohmann::json failed = nlohmann::json::array();
  for (const auto& a : *attempts) failed.push_back(attempt_json(a));
  return json_response(200, {{"user", full_user(*user, ctx.auth.clock.now())},
                             {"face_templates", faces},
                             {"failed_login_attempts", failed},
                             {"exported_at", iso_time(ctx.auth.clock.now())}});
}

}  // namespace

void add_user_routes(http::Router& router, const ApiContext& ctx) {
  const auto* c = &ctx;
  router.get("/api/v1/users/me", [c](http::Request& r) { return me(*c, r); });
  router.del("/api/v1/users/me", [c](http::Request& r) { return delete_me(*c, r); });
  router.post("/api/v1/users/me/faces", [c](http::Request& r) { return add_face(*c, r); });
  router.get("/api/v1/users/me/export", [c](http::Request& r) { return export_me(*c, r); });
}

}  // namespace faceid::api
