// Face sign-in: analyse -> liveness -> match -> account state -> tokens, recording failures.
#include "auth/face_auth_service.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>

#include "auth/account_rules.h"
#include "auth/password_hasher.h"

namespace faceid::auth {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Failure reasons recorded for the engine's error codes.
std::string reason_for(const std::string& code) {
  if (code == "no_face_detected" || code == "multiple_faces" || code == "poor_image_quality") {
    return "poor_quality";
  }
  return code;
}

std::string join_amr(const std::vector<std::string>& amr) {
  std::string out;
  for (const auto& m : amr) out += (out.empty() ? "" : ",") + m;
  return out;
}

}  // namespace

FaceAuthService::FaceAuthService(AuthContext& ctx, SessionService& sessions)
    : ctx_(ctx), sessions_(sessions), lockout_(ctx.settings.lockout) {
  if (ctx_.settings.verify_requires_password) {
    auto h = hash_password("timing-equaliser-not-a-password");
    if (h) dummy_hash_ = *h;
  }
}

void FaceAuthService::record_failure(const std::string& reason,
                                     const std::optional<store::User>& user,
                                     const std::optional<std::string>& username_tried,
                                     std::optional<double> distance, std::optional<double> liveness,
                                     const ClientInfo& client) {
  store::LoginAttempt a;
  if (user) a.user_id = user->id;
  a.username_tried = username_tried;
  a.ip = client.ip;
  a.user_agent = client.user_agent.substr(0, 512);
  a.reason = reason;
  if (distance) a.confidence_score = confidence_from_distance(*distance, ctx_.settings.tolerance);
  a.distance = distance;
  a.liveness_score = liveness;
  a.created_at = ctx_.clock.now();
  if (Status s = ctx_.store.record_failed_attempt(a); !s) {
    ctx_.logger->error("cannot record failed attempt",
                       {{"error", s.error().message}, {"correlation_id", client.correlation_id}});
  }
  ctx_.logger->info("login failed", {{"audit", true},
                                     {"event", "login_failure"},
                                     {"reason", reason},
                                     {"user_id", user ? user->id : std::string()},
                                     {"client_ip", client.ip},
                                     {"correlation_id", client.correlation_id}});
  if (user) maybe_lock(*user, client);
}

void FaceAuthService::maybe_lock(const store::User& user, const ClientInfo& client) {
  TimePoint now = ctx_.clock.now();
  if (is_locked(user.locked_until, now)) return;
  // Failures before the end of an earlier lock were already paid for by that lock.
  TimePoint since = lockout_.window_start(now);
  if (user.locked_until && *user.locked_until > since) since = *user.locked_until;
  auto counts =
      ctx_.store.account_failures(user.id, since, lockout_.close_distance(ctx_.settings.tolerance));
  if (!counts) return;
  LockDecision d = lockout_.evaluate({counts->total, counts->clients, counts->close}, now);
  if (!d.lock) return;
  if (Status s = ctx_.store.set_lock(user.id, d.locked_until, now); !s) return;
  ctx_.logger->warn("account locked", {{"audit", true},
                                       {"event", "account_locked"},
                                       {"rule", std::string(d.rule)},
                                       {"user_id", user.id},
                                       {"failures", static_cast<long long>(counts->total)},
                                       {"clients", static_cast<long long>(counts->clients)},
                                       {"client_ip", client.ip},
                                       {"correlation_id", client.correlation_id}});
}

std::optional<std::chrono::seconds> FaceAuthService::throttled(
    const std::optional<store::User>& user, const std::string& username, const ClientInfo& client) {
  TimePoint now = ctx_.clock.now();
  auto failures = ctx_.store.client_failures(user ? std::optional(user->id) : std::nullopt,
                                             username, client.ip, lockout_.window_start(now));
  if (!failures) return std::nullopt;  // the attempt itself still runs every check
  auto until = lockout_.throttled_until({failures->count, failures->last_at}, now);
  if (!until) return std::nullopt;
  ctx_.metrics.login("verify", "throttled");
  auto wait = std::chrono::ceil<std::chrono::seconds>(*until - now);
  return std::max(wait, std::chrono::seconds(1));
}

void FaceAuthService::record_rate_limited(const ClientInfo& client) {
  record_failure("rate_limit", std::nullopt, std::nullopt, std::nullopt, std::nullopt, client);
}

Result<AnalyzedFace> FaceAuthService::analyze(const FaceEvidence& evidence, const char* mode,
                                              const ClientInfo& client,
                                              const std::optional<store::User>& named) {
  auto face = analyze_evidence(ctx_, evidence, client.ip);
  std::optional<std::string> tried;
  if (named) tried = named->username;
  if (!face && face.error().code == "server_busy") {
    // The server's refusal, not the client's attempt: it must not count toward a lock.
    ctx_.metrics.login(mode, "server_busy");
    return face.error();
  }
  if (!face) {
    record_failure(reason_for(face.error().code), named, tried, std::nullopt, std::nullopt, client);
    ctx_.metrics.login(mode, reason_for(face.error().code));
    return face.error();
  }
  return face;
}

Result<AuthSuccess> FaceAuthService::succeed(const store::User& user, double distance,
                                             const AnalyzedFace& probe, const char* mode,
                                             const ClientInfo& client) {
  TimePoint now = ctx_.clock.now();
  if (user.is_locked) ctx_.store.set_lock(user.id, std::nullopt, now);  // an expired lock
  if (Status s = ctx_.store.record_login_success(user.id, client.ip, mode, now); !s) {
    return s.error();
  }
  auto tokens = sessions_.start(user, probe.amr);
  if (!tokens) return tokens.error();
  ctx_.metrics.login(mode, "success");
  ctx_.logger->info("login succeeded", {{"audit", true},
                                        {"event", "login_success"},
                                        {"mode", std::string(mode)},
                                        {"amr", join_amr(probe.amr)},
                                        {"user_id", user.id},
                                        {"client_ip", client.ip},
                                        {"correlation_id", client.correlation_id}});
  AuthSuccess out{
      user,     std::move(*tokens),  confidence_from_distance(distance, ctx_.settings.tolerance),
      distance, probe.face.liveness, probe.amr};
  out.user.last_login_at = now;
  return out;
}

Result<AuthSuccess> FaceAuthService::login(const FaceEvidence& face, const ClientInfo& client) {
  auto started = std::chrono::steady_clock::now();
  const auto& s = ctx_.settings;
  auto probe = analyze(face, "login", client, std::nullopt);
  if (!probe) return probe.error();
  auto search_start = std::chrono::steady_clock::now();
  auto hits = ctx_.store.search_faces(probe->face.embedding, s.search_candidates);
  ctx_.metrics.vector_search(seconds_since(search_start));
  if (!hits) return hits.error();

  // Best distance per account (several templates of one person are near-ties).
  std::map<std::string, float> best;
  for (const auto& h : *hits) {
    auto it = best.find(h.user_id);
    if (it == best.end() || h.distance < it->second) best[h.user_id] = h.distance;
  }
  std::vector<std::pair<float, std::string>> ranked;
  ranked.reserve(best.size());
  for (const auto& [user_id, d] : best) ranked.emplace_back(d, user_id);
  std::sort(ranked.begin(), ranked.end());
  ctx_.metrics.face_match_latency(seconds_since(started));

  auto liveness = probe->face.liveness;
  if (ranked.empty() || ranked[0].first > s.tolerance + s.near_miss_margin) {
    record_failure("no_match", std::nullopt, std::nullopt,
                   ranked.empty() ? std::nullopt : std::optional<double>(ranked[0].first), liveness,
                   client);
    ctx_.metrics.login("login", "no_match");
    return authentication_failed();
  }
  auto user = ctx_.store.find_user_by_id(ranked[0].second);
  if (!user) return user.error();
  if (!user->has_value()) return authentication_failed();  // deleted between search and read
  double best_d = ranked[0].first;
  if (best_d > s.tolerance) {  // near miss: counts against the nearest account
    record_failure("no_match", *user, std::nullopt, best_d, liveness, client);
    ctx_.metrics.login("login", "no_match");
    return authentication_failed();
  }
  if (ranked.size() > 1 && ranked[1].first <= s.tolerance &&
      ranked[1].first - best_d < s.ambiguity_margin) {
    record_failure("ambiguous", std::nullopt, std::nullopt, best_d, liveness, client);
    ctx_.metrics.login("login", "ambiguous");
    return authentication_failed();
  }
  TimePoint now = ctx_.clock.now();
  if (!(*user)->is_active || is_locked((*user)->locked_until, now)) {
    record_failure((*user)->is_active ? "locked" : "inactive", *user, std::nullopt, best_d,
                   liveness, client);
    ctx_.metrics.login("login", "locked");
    return authentication_failed();
  }
  return succeed(**user, best_d, *probe, "login", client);
}

Result<AuthSuccess> FaceAuthService::verify(const std::string& username, const FaceEvidence& face,
                                            const std::optional<std::string>& password,
                                            const ClientInfo& client) {
  auto started = std::chrono::steady_clock::now();
  const auto& s = ctx_.settings;
  // Fields are checked before any store access or record: nothing unbounded is stored.
  if (std::string problem = check_username(username); !problem.empty()) {
    return make_error("validation_error", "Some fields are invalid", {"username: " + problem});
  }
  if (password && password->size() > kMaxPassword) {
    return make_error(
        "validation_error", "Some fields are invalid",
        {"password: must be at most " + std::to_string(kMaxPassword) + " characters"});
  }
  auto found = ctx_.store.find_user_by_username(username);
  if (!found) return found.error();
  std::optional<store::User> user = *found;
  // A client that kept failing against this name waits (known and unknown names alike, so
  // the delay tells nothing); other clients, the owner's among them, do not.
  if (auto wait = throttled(user, username, client)) return too_many_attempts(*wait);

  // Unknown users go through the same work (face pipeline, password hash) as known ones.
  auto probe = analyze(face, "verify", client, user);
  if (!probe) return probe.error();
  auto liveness = probe->face.liveness;
  if (s.verify_requires_password) {
    bool ok = verify_password(user ? user->password_hash : dummy_hash_, password.value_or(""));
    if (!ok || !user) {
      record_failure("invalid_password", user, username, std::nullopt, liveness, client);
      ctx_.metrics.login("verify", "no_match");
      return authentication_failed();
    }
  }
  if (!user) {
    record_failure("no_match", std::nullopt, username, std::nullopt, liveness, client);
    ctx_.metrics.login("verify", "no_match");
    return authentication_failed();
  }
  auto templates = ctx_.store.templates_for_user(user->id);
  if (!templates) return templates.error();
  float best_d = std::numeric_limits<float>::infinity();
  for (const auto& t : *templates) {
    best_d = std::min(best_d, face::embedding_distance(probe->face.embedding, t.embedding));
  }
  ctx_.metrics.face_match_latency(seconds_since(started));
  std::optional<double> dist;
  if (!templates->empty()) dist = best_d;
  TimePoint now = ctx_.clock.now();
  if (!user->is_active || is_locked(user->locked_until, now)) {
    record_failure(user->is_active ? "locked" : "inactive", user, username, dist, liveness, client);
    ctx_.metrics.login("verify", "locked");
    return authentication_failed();
  }
  if (best_d > s.tolerance) {
    record_failure("no_match", user, username, dist, liveness, client);
    ctx_.metrics.login("verify", "no_match");
    return authentication_failed();
  }
  return succeed(*user, best_d, *probe, "verify", client);
}

}  // namespace faceid::auth
