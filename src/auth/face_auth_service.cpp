// Face sign-in: analyse -> liveness -> match -> account state -> tokens, recording failures.
#include "auth/face_auth_service.h"

#include <algorithm>
#include <chrono>
#include <limits>

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
  const std::int64_t networks = client_networks(counts->ips);
  LockDecision d = lockout_.evaluate({counts->total, networks, counts->close}, now);
  if (!d.lock) return;
  if (Status s = ctx_.store.set_lock(user.id, d.locked_until, now); !s) return;
  ctx_.logger->warn("account locked", {{"audit", true},
                                       {"event", "account_locked"},
                                       {"rule", std::string(d.rule)},
                                       {"user_id", user.id},
                                       {"failures", static_cast<long long>(counts->total)},
                                       {"clients", static_cast<long long>(networks)},
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
  const auto r = refusals_.refuse(client.ip, ctx_.clock.now());
  if (r.ended_count > 1) {
    ctx_.logger->warn("rate-limited requests",
                      {{"audit", true},
                       {"event", "rate_limited_summary"},
                       {"client_ip", client.ip},
                       {"refused", static_cast<long long>(r.ended_count)}});
  }
  if (r.first) {
    record_failure("rate_limit", std::nullopt, std::nullopt, std::nullopt, std::nullopt, client);
  }
}

Result<AnalyzedFace> FaceAuthService::analyze(const FaceEvidence& evidence, const char* mode,
                                              const ClientInfo& client,
                                              const std::optional<store::User>& named) {
  auto face = analyze_evidence(ctx_, evidence, client.ip);
  std::optional<std::string> tried;
  if (named) tried = named->username;
  // The server's refusals (busy, or this client's pixel budget spent), not an attempt at the
  // account: nothing is recorded and nothing counts toward a lock.
  const bool refused_by_server =
      !face && (face.error().code == "server_busy" || face.error().code == "rate_limited" ||
                face.error().code == "image_too_large");
  if (refused_by_server) {
    ctx_.metrics.login(mode, face.error().code);
    return face.error();
  }
  if (!face) {
    // Recorded against the account (its owner sees it in the export) but never counted toward
    // a lock: an undecodable image, no face, a quality or liveness refusal compared no face
    // with the owner's (Store::account_failures counts comparisons only).
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

Result<std::vector<store::User>> FaceAuthService::resolve_hints(
    const std::vector<std::string>& hints) {
  const auto& s = ctx_.settings;
  if (static_cast<int>(hints.size()) > s.max_hints) {
    return make_error("validation_error", "Some fields are invalid",
                      {"hints: at most " + std::to_string(s.max_hints) + " accounts"});
  }
  std::vector<store::User> users;
  for (const auto& hint : hints) {
    if (hint.empty() || hint.size() > kMaxEmail) {
      return make_error("validation_error", "Some fields are invalid",
                        {"hints: each must be a username or an email"});
    }
    auto found = hint.find('@') != std::string::npos ? ctx_.store.find_user_by_email(hint)
                                                     : ctx_.store.find_user_by_username(hint);
    if (!found) return found.error();
    // Unknown names are dropped without a word: the answer must not tell which exist.
    if (!found->has_value()) continue;
    const bool seen = std::any_of(users.begin(), users.end(),
                                  [&](const store::User& u) { return u.id == (*found)->id; });
    if (!seen) users.push_back(**found);
  }
  return users;
}

Result<std::optional<double>> FaceAuthService::face_only_threshold() {
  auto census = ctx_.census->accounts_by_templates(ctx_.store, ctx_.clock.now());
  if (!census) return census.error();
  return ctx_.settings.calibration->one_to_many_threshold_by_count(*census);
}

Result<bool> FaceAuthService::face_only_available() {
  auto t = face_only_threshold();
  if (!t) return t.error();
  return t->has_value();
}

Result<AuthSuccess> FaceAuthService::login(const FaceEvidence& face,
                                           const std::vector<std::string>& hints,
                                           const ClientInfo& client) {
  auto started = std::chrono::steady_clock::now();
  const auto& s = ctx_.settings;
  auto hinted = resolve_hints(hints);
  if (!hinted) return hinted.error();
  // Face-only: a threshold whose expected false-positive identification rate over the
  // active accounts is within budget, or none: then the caller must name the account.
  std::optional<double> face_only;
  if (hints.empty()) {
    auto t = face_only_threshold();
    if (!t) return t.error();
    if (!*t) {
      ctx_.metrics.login("login", "identifier_required");
      return identifier_required();
    }
    face_only = *t;
  }
  auto probe = analyze(face, "login", client, std::nullopt);
  if (!probe) return probe.error();

  std::vector<std::string> candidates;
  if (face_only) {
    auto search_start = std::chrono::steady_clock::now();
    auto hits = ctx_.store.search_faces(probe->face.embedding, s.search_candidates);
    ctx_.metrics.vector_search(seconds_since(search_start));
    if (!hits) return hits.error();
    for (const auto& h : *hits) {
      if (std::find(candidates.begin(), candidates.end(), h.user_id) == candidates.end()) {
        candidates.push_back(h.user_id);
      }
    }
  } else {
    for (const auto& u : *hinted) candidates.push_back(u.id);
  }
  // Each candidate by the distance to the mean of its templates (the fused rule).
  auto ranked =
      rank_accounts(ctx_.store, probe->face.embedding, candidates, ctx_.engine.model_version());
  if (!ranked) return ranked.error();
  ctx_.metrics.face_match_latency(seconds_since(started));
  double threshold = 0;
  if (face_only) {
    threshold = *face_only;
  } else {
    std::vector<int> counts;
    for (const auto& r : *ranked) counts.push_back(r.templates);
    threshold = s.calibration->hinted_threshold(counts);
  }

  auto liveness = probe->face.liveness;
  if (ranked->empty() || (*ranked)[0].distance > threshold + s.near_miss_margin) {
    record_failure("no_match", std::nullopt, std::nullopt,
                   ranked->empty() ? std::nullopt : std::optional<double>((*ranked)[0].distance),
                   liveness, client);
    ctx_.metrics.login("login", "no_match");
    return authentication_failed();
  }
  const AccountDistance& best = (*ranked)[0];
  auto user = ctx_.store.find_user_by_id(best.user_id);
  if (!user) return user.error();
  if (!user->has_value()) return authentication_failed();  // deleted between search and read
  if (best.distance > threshold) {  // near miss: counts against the nearest account
    record_failure("no_match", *user, std::nullopt, best.distance, liveness, client);
    ctx_.metrics.login("login", "no_match");
    return authentication_failed();
  }
  if (ranked->size() > 1 && (*ranked)[1].distance <= threshold &&
      (*ranked)[1].distance - best.distance < s.ambiguity_margin) {
    record_failure("ambiguous", std::nullopt, std::nullopt, best.distance, liveness, client);
    ctx_.metrics.login("login", "ambiguous");
    return authentication_failed();
  }
  TimePoint now = ctx_.clock.now();
  if (!(*user)->is_active || is_locked((*user)->locked_until, now)) {
    record_failure((*user)->is_active ? "locked" : "inactive", *user, std::nullopt, best.distance,
                   liveness, client);
    ctx_.metrics.login("login", "locked");
    return authentication_failed();
  }
  return succeed(**user, best.distance, *probe, "login", client);
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
  const auto fused =
      distance_to_account(probe->face.embedding, user->id, *templates, ctx_.engine.model_version());
  const float best_d = fused ? fused->distance : std::numeric_limits<float>::infinity();
  const double threshold = s.calibration->one_to_one_threshold(fused ? fused->templates : 1);
  ctx_.metrics.face_match_latency(seconds_since(started));
  std::optional<double> dist;
  if (fused) dist = best_d;
  TimePoint now = ctx_.clock.now();
  if (!user->is_active || is_locked(user->locked_until, now)) {
    record_failure(user->is_active ? "locked" : "inactive", user, username, dist, liveness, client);
    ctx_.metrics.login("verify", "locked");
    return authentication_failed();
  }
  if (best_d > threshold) {
    record_failure("no_match", user, username, dist, liveness, client);
    ctx_.metrics.login("verify", "no_match");
    return authentication_failed();
  }
  return succeed(*user, best_d, *probe, "verify", client);
}

}  // namespace faceid::auth
