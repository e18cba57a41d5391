// Handlers read as: validate -> call the service -> shape the response.
#include "api/auth_routes.h"

#include "api/error_mapping.h"
#include "api/json_response.h"
#include "api/request_helpers.h"

namespace faceid::api {
namespace {

nlohmann::json token_body(const auth::SessionTokens& t) {
  return {{"access_token", t.access_token},
          {"refresh_token", t.refresh_token},
          {"token_type", "bearer"},
          {"expires_in", t.expires_in}};
}

http::Response auth_success(const auth::AuthSuccess& s) {
  nlohmann::json body = token_body(s.tokens);
  body["user"] = public_user(s.user);
  body["confidence_score"] = s.confidence;
  body["liveness_score"] = s.liveness ? nlohmann::json(*s.liveness) : nlohmann::json(nullptr);
  body["amr"] = s.amr;
  return json_response(200, body);
}

http::Response register_user(const ApiContext& ctx, http::Request& req) {
  if (Status s = require_multipart(req); !s) return error_for(s.error(), req);
  const auth::FaceEvidence face = face_evidence(req);
  auth::Registration r{.username = form_value(req, "username").value_or(""),
                       .email = form_value(req, "email").value_or(""),
                       .password = form_value(req, "password").value_or(""),
                       .face_image = face.image,
                       .challenge_id = face.challenge_id,
                       .frames = face.frames};
  auto user = ctx.accounts.register_user(r, client_of(req));
  if (!user) return error_for(user.error(), req);
  // The new user is signed in, as clients of the service this replaces expect; a registration
  // that passed a liveness challenge proved that too.
  const std::vector<std::string> amr = face.is_challenge()
                                           ? std::vector<std::string>{"face", "liveness_challenge"}
                                           : std::vector<std::string>{"face"};
  auto tokens = ctx.sessions.start(*user, amr);
  if (!tokens) return error_for(tokens.error(), req);
  nlohmann::json body = token_body(*tokens);
  body["user"] = public_user(*user);
  body["amr"] = amr;
  body["message"] = "User registered successfully";
  return json_response(201, body);
}

http::Response login(const ApiContext& ctx, http::Request& req) {
  if (Status s = require_multipart(req); !s) return error_for(s.error(), req);
  const auth::FaceEvidence face = face_evidence(req);
  if (!face.is_challenge() && face.image.empty()) {
    return error_for(
        make_error("validation_error", "Some fields are invalid", {"face_image: is required"}),
        req);
  }
  // "identifier" (the username or email the page asked for) and repeated "hints" (accounts
  // that signed in on this browser before) both name the accounts to compare with.
  std::vector<std::string> hints;
  if (auto id = form_value(req, "identifier"); id && !id->empty()) hints.push_back(*id);
  for (const http::FormField* f : req.form_fields("hints")) {
    if (!f->value.empty()) hints.push_back(f->value);
  }
  auto result = ctx.face_auth.login(face, hints, client_of(req));
  if (!result) return error_for(result.error(), req);
  return auth_success(*result);
}

// What the sign-in page and the CLI ask before a capture: whether the face alone is enough
// here, or an identifier (or remembered accounts as hints) must go with it.
http::Response login_options(const ApiContext& ctx, http::Request& req) {
  auto face_only = ctx.face_auth.face_only_available();
  if (!face_only) return error_for(face_only.error(), req);
  return json_response(200,
                       {{"face_only", *face_only}, {"max_hints", ctx.auth.settings.max_hints}});
}

http::Response verify(const ApiContext& ctx, http::Request& req) {
  if (Status s = require_multipart(req); !s) return error_for(s.error(), req);
  std::vector<std::string> problems;
  auto username = form_value(req, "username");
  const auth::FaceEvidence face = face_evidence(req);
  auto password = form_value(req, "password");
  if (!username || username->empty()) problems.emplace_back("username: is required");
  if (!face.is_challenge() && face.image.empty()) problems.emplace_back("face_image: is required");
  if (ctx.auth.settings.verify_requires_password && (!password || password->empty())) {
    problems.emplace_back("password: is required in face+password mode");
  }
  if (!problems.empty()) {
    return error_for(make_error("validation_error", "Some fields are invalid", problems), req);
  }
  auto result = ctx.face_auth.verify(*username, face, password, client_of(req));
  if (!result) return error_for(result.error(), req);
  return auth_success(*result);
}

http::Response refresh(const ApiContext& ctx, http::Request& req) {
  auto token = body_field(req, "refresh_token");
  if (!token) return error_for(token.error(), req);
  auto tokens = ctx.sessions.refresh(*token, client_of(req));
  if (!tokens) return error_for(tokens.error(), req);
  return json_response(200, token_body(*tokens));
}

http::Response logout(const ApiContext& ctx, http::Request& req) {
  auto token = body_field(req, "refresh_token");
  if (!token) return error_for(token.error(), req);
  if (Status s = ctx.sessions.logout(*token, client_of(req)); !s) return error_for(s.error(), req);
  return json_response(200, {{"message", "Logged out"}});
}

}  // namespace

void add_auth_routes(http::Router& router, const ApiContext& ctx) {
  const auto* c = &ctx;
  router.post("/api/v1/auth/register", [c](http::Request& r) { return register_user(*c, r); });
  router.post("/api/v1/auth/login", [c](http::Request& r) { return login(*c, r); });
  router.get("/api/v1/auth/login-options", [c](http::Request& r) { return login_options(*c, r); });
  router.post("/api/v1/auth/verify", [c](http::Request& r) { return verify(*c, r); });
  router.post("/api/v1/auth/refresh", [c](http::Request& r) { return refresh(*c, r); });
  router.post("/api/v1/auth/logout", [c](http::Request& r) { return logout(*c, r); });
}

}  // namespace faceid::api
