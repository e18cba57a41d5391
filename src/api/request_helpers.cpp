// Shared handler helpers.
#include "api/request_helpers.h"

#include "auth/lockout_policy.h"
#include "store/time_format.h"

namespace faceid::api {
namespace {

// Token bodies nest one level; a few more leave room for clients' envelopes.
constexpr int kMaxJsonDepth = 8;

// True when arrays and objects nest deeper than max_depth (brackets inside strings do not
// count). Checked before parsing: nlohmann's parser recurses once per level.
bool nests_deeper_than(std::string_view json, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace

auth::ClientInfo client_of(const http::Request& req) {
  return {req.client_ip, req.header("user-agent"), req.correlation_id};
}

Status require_multipart(const http::Request& req) {
  if (req.header("content-type").rfind("multipart/form-data", 0) != 0) {
    return make_error("unsupported_media_type", "Send multipart/form-data");
  }
  return {};
}

std::optional<std::string> form_value(const http::Request& req, const char* name) {
  const http::FormField* f = req.form_field(name);
  if (f == nullptr) return std::nullopt;
  return f->value;
}

auth::FaceEvidence face_evidence(const http::Request& req) {
  auth::FaceEvidence e;
  if (const http::FormField* f = req.form_field("face_image")) e.image = f->value;
  e.challenge_id = form_value(req, "challenge_id").value_or("");
  // Empty parts are no frames (form clients send an empty part for an unfilled file field).
  for (const http::FormField* f : req.form_fields("frames")) {
    if (!f->value.empty()) e.frames.emplace_back(f->value);
  }
  return e;
}

Result<std::string> body_field(const http::Request& req, const char* name) {
  if (auto v = form_value(req, name)) return *v;
  if (!req.body.empty()) {
    // Whatever the Content-Type said (the server caps declared JSON before reading it).
    if (static_cast<long long>(req.body.size()) > http::kMaxJsonBodyBytes) {
      return make_error(
          "payload_too_large",
          "JSON body exceeds " + std::to_string(http::kMaxJsonBodyBytes >> 10) + " KB");
    }
    if (nests_deeper_than(req.body, kMaxJsonDepth)) {
      return make_error("invalid_body", "JSON nests too deeply");
    }
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return make_error("invalid_body", "Body is not a JSON object");
    }
    if (j.contains(name) && j[name].is_string()) return j[name].get<std::string>();
  }
  return make_error("validation_error", "Some fields are invalid",
                    {std::string(name) + ": is required"});
}

namespace {

struct Authenticated {
  store::User user;
  auth::TokenClaims claims;
};

Result<Authenticated> authenticate_with_claims(const http::Request& req, const ApiContext& ctx) {
  std::string h = req.header("authorization");
  const std::string prefix = "bearer ";
  if (h.size() <= prefix.size() ||
      !std::equal(prefix.begin(), prefix.end(), h.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
      })) {
    return make_error("not_authenticated", "Missing bearer token");
  }
  auto claims =
      ctx.auth.tokens.verify(std::string_view(h).substr(prefix.size()), auth::TokenType::kAccess);
  if (!claims) return claims.error();
  if (!ctx.sessions.is_active(*claims)) return make_error("invalid_token", "session ended");
  auto user = ctx.auth.store.find_user_by_id(claims->subject);
  if (!user) return user.error();
  // A lock stops new sign-ins, not the owner's live sessions: a stranger who managed to lock
  // the account must not also sign its owner out.
  if (!user->has_value() || !(*user)->is_active) {
    return make_error("invalid_token", "Invalid or revoked token");
  }
  return Authenticated{**user, *claims};
}

}  // namespace

Result<store::User> authenticate(const http::Request& req, const ApiContext& ctx) {
  auto who = authenticate_with_claims(req, ctx);
  if (!who) return who.error();
  return who->user;
}

Result<store::User> authenticate_recent(const http::Request& req, const ApiContext& ctx) {
  auto who = authenticate_with_claims(req, ctx);
  if (!who) return who.error();
  const TimePoint now = ctx.auth.clock.now();
  if (!who->claims.auth_time || now - *who->claims.auth_time > kRecentAuthentication) {
    return make_error("reauthentication_required",
                      "Sign in again to do this: it needs a sign-in within the last " +
                          std::to_string(kRecentAuthentication.count() / 60) + " minutes");
  }
  return who->user;
}

Result<store::User> authenticate_admin(const http::Request& req, const ApiContext& ctx) {
  auto user = authenticate(req, ctx);
  if (!user) return user.error();
  if (!user->is_admin) return make_error("forbidden", "Administrator role required");
  return user;
}

std::string iso_time(TimePoint t) { return store::format_time(t); }

nlohmann::json optional_time(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(iso_time(*t)) : nlohmann::json(nullptr);
}

nlohmann::json public_user(const store::User& u) {
  return {{"id", u.id},
          {"username", u.username},
          {"email", u.email},
          {"created_at", iso_time(u.created_at)},
          {"is_active", u.is_active}};
}

nlohmann::json full_user(const store::User& u, TimePoint now) {
  nlohmann::json j = public_user(u);
  j["is_admin"] = u.is_admin;
  j["is_locked"] = auth::is_locked(u.locked_until, now);
  j["locked_until"] = auth::is_locked(u.locked_until, now) ? optional_time(u.locked_until)
                                                           : nlohmann::json(nullptr);
  j["last_login_at"] = optional_time(u.last_login_at);
  j["updated_at"] = iso_time(u.updated_at);
  return j;
}

nlohmann::json attempt_json(const store::LoginAttempt& a) {
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {{"id", a.id},
          {"user_id", opt(a.user_id)},
          {"username_tried", opt(a.username_tried)},
          {"ip", a.ip},
          {"user_agent", a.user_agent},
          {"reason", a.reason},
          {"confidence_score", opt(a.confidence_score)},
          {"liveness_score", opt(a.liveness_score)},
          {"created_at", iso_time(a.created_at)}};
}

}  // namespace faceid::api
