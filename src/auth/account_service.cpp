// Account lifecycle.
#include "auth/account_service.h"

#include <algorithm>

#include "auth/account_rules.h"
#include "auth/password_hasher.h"

namespace faceid::auth {
namespace {
// One answer for "username taken", "email taken" and (with REJECT_DUPLICATE_FACES) "face
// enrolled elsewhere": the response must not tell a stranger which one, or that a person
// holding this face has an account.
Error registration_refused() {
  return make_error("registration_refused",
                    "Registration refused: these details cannot be used for a new account");
}

// Quality as one number in [0, 1] for the template row: detector confidence, discounted when
// the gate flagged anything.
double quality_score(const face::FaceResult& f) {
  return f.quality.passed ? f.box.score : f.box.score * 0.5;
}
}  // namespace

Result<face::FaceResult> AccountService::analyze_live_face(const FaceEvidence& evidence,
                                                           const ClientInfo& client) {
  auto face = analyze_evidence(ctx_, evidence, client.ip);
  if (!face) return face.error();
  return std::move(face->face);
}

Status AccountService::check_not_registered(const face::Embedding& e,
                                            const std::string& except_user,
                                            const ClientInfo& client) {
  if (!ctx_.settings.reject_duplicate_faces) return {};
  auto census = ctx_.census->accounts_by_templates(ctx_.store, ctx_.clock.now());
  if (!census) return census.error();
  std::int64_t accounts = 0;
  for (auto n : *census) accounts += n;
  // A distance at which a new, different person is refused with at most
  // DUPLICATE_MAX_REFUSAL probability at this many accounts; a nearer face within the 1:1
  // threshold is only flagged for an administrator (look-alikes are not duplicates).
  const auto& cal = *ctx_.settings.calibration;
  const double refuse_within = cal.duplicate_threshold(accounts);
  auto hits = ctx_.store.search_faces(e, ctx_.settings.search_candidates);
  if (!hits) return hits.error();
  std::vector<std::string> others;
  for (const auto& h : *hits) {
    if (h.user_id != except_user &&
        std::find(others.begin(), others.end(), h.user_id) == others.end()) {
      others.push_back(h.user_id);
    }
  }
  auto ranked = rank_accounts(ctx_.store, e, others, ctx_.engine.model_version());
  if (!ranked) return ranked.error();
  if (ranked->empty()) return {};
  const AccountDistance& nearest = (*ranked)[0];
  if (nearest.distance <= refuse_within) {
    return make_error("face_already_registered",
                      "This face is already registered to another account");
  }
  if (nearest.distance <= cal.one_to_one_threshold(nearest.templates)) {
    ctx_.logger->warn("face resembles another account",
                      {{"audit", true},
                       {"event", "duplicate_suspected"},
                       {"similar_user_id", nearest.user_id},
                       {"distance", static_cast<double>(nearest.distance)},
                       {"client_ip", client.ip},
                       {"correlation_id", client.correlation_id}});
  }
  return {};
}

Result<store::User> AccountService::register_user(const Registration& r, const ClientInfo& client) {
  std::vector<std::string> problems;
  auto add = [&](const char* field, const std::string& msg) {
    if (!msg.empty()) problems.push_back(std::string(field) + ": " + msg);
  };
  std::string email = normalize_email(r.email);
  add("username", check_username(r.username));
  add("email", check_email(email));
  add("password", check_password(r.password, r.username));
  FaceEvidence evidence(r.face_image);
  evidence.challenge_id = r.challenge_id;
  evidence.frames = r.frames;
  if (!evidence.is_challenge() && r.face_image.empty()) add("face_image", "is required");
  if (!problems.empty()) {
    ctx_.metrics.registration("validation_error");
    return make_error("validation_error", "Some fields are invalid", problems);
  }
  auto outcome = [&](const Error& e) {
    ctx_.metrics.registration(e.code);
    return e;
  };
  // The face first, then the name: a taken name must not answer differently from a free one
  // when the photo is unusable (issue 20, item 10).
  auto face = analyze_live_face(evidence, client);
  if (!face) return outcome(face.error());
  auto by_name = ctx_.store.find_user_by_username(r.username);
  if (!by_name) return by_name.error();
  if (by_name->has_value()) return outcome(registration_refused());
  auto hash = hash_password(r.password);
  if (!hash) return hash.error();

  TimePoint now = ctx_.clock.now();
  store::User user;
  user.id = TokenService::new_token_id();
  user.username = r.username;
  user.email = email;
  user.password_hash = *hash;
  user.is_admin = r.is_admin;
  user.created_at = user.updated_at = now;
  store::FaceTemplate tmpl;
  tmpl.user_id = user.id;
  tmpl.embedding = face->embedding;
  tmpl.model_version = ctx_.engine.model_version();
  tmpl.quality = quality_score(*face);
  tmpl.created_at = now;
  std::unique_lock enroll(enroll_mu_);
  if (Status s = check_not_registered(face->embedding, "", client); !s) {
    return outcome(s.error().code == "face_already_registered" ? registration_refused()
                                                               : s.error());
  }
  auto created = ctx_.store.create_user(user, tmpl);
  enroll.unlock();
  if (!created) {
    // The store re-checks the face under a database lock (PostgreSQL: concurrent
    // registrations on other replicas), so it may refuse a face the check above let pass.
    const auto& code = created.error().code;
    return outcome(code == "user_exists" || code == "face_already_registered"
                       ? registration_refused()
                       : created.error());
  }
  ctx_.census->invalidate();
  ctx_.metrics.registration("success");
  ctx_.logger->info("user registered", {{"audit", true},
                                        {"event", "register"},
                                        {"user_id", user.id},
                                        {"client_ip", client.ip},
                                        {"correlation_id", client.correlation_id}});
  return created;
}

Result<store::FaceTemplate> AccountService::add_face(const std::string& user_id,
                                                     const FaceEvidence& evidence,
                                                     const ClientInfo& client) {
  if (!evidence.is_challenge() && evidence.image.empty()) {
    return make_error("validation_error", "Some fields are invalid", {"face_image: is required"});
  }
  auto existing = ctx_.store.templates_for_user(user_id);
  if (!existing) return existing.error();
  if (static_cast<int>(existing->size()) >= ctx_.settings.max_templates) {
    return make_error(
        "too_many_templates",
        "At most " + std::to_string(ctx_.settings.max_templates) + " face templates per account");
  }
  auto face = analyze_live_face(evidence, client);
  if (!face) return face.error();
  // A stolen access token must not let someone enrol their own face: it has to be the
  // same person as the account's existing templates.
  const auto own =
      distance_to_account(face->embedding, user_id, *existing, ctx_.engine.model_version());
  const bool same_person =
      own && own->distance <= ctx_.settings.calibration->one_to_one_threshold(own->templates);
  if (!existing->empty() && !same_person) {
    return make_error("face_mismatch", "The face does not match this account");
  }
  store::FaceTemplate tmpl;
  tmpl.user_id = user_id;
  tmpl.embedding = face->embedding;
  tmpl.model_version = ctx_.engine.model_version();
  tmpl.quality = quality_score(*face);
  tmpl.created_at = ctx_.clock.now();
  std::unique_lock enroll(enroll_mu_);
  if (Status s = check_not_registered(face->embedding, user_id, client); !s) return s.error();
  auto added = ctx_.store.add_template(tmpl, ctx_.settings.max_templates);
  enroll.unlock();
  if (!added) return added.error();
  ctx_.census->invalidate();
  ctx_.logger->info("face template added", {{"audit", true},
                                            {"event", "add_face"},
                                            {"user_id", user_id},
                                            {"client_ip", client.ip},
                                            {"correlation_id", client.correlation_id}});
  return added;
}

Status AccountService::delete_account(const std::string& user_id, const ClientInfo& client) {
  if (Status s = ctx_.store.delete_user(user_id); !s) return s;
  ctx_.census->invalidate();
  ctx_.logger->info("user deleted", {{"audit", true},
                                     {"event", "delete"},
                                     {"user_id", user_id},
                                     {"client_ip", client.ip},
                                     {"correlation_id", client.correlation_id}});
  return {};
}

Result<store::User> AccountService::unlock(const std::string& user_id, const ClientInfo& admin) {
  TimePoint now = ctx_.clock.now();
  // set_lock(nullopt) keeps the unlock instant, so failures before it no longer count.
  if (Status s = ctx_.store.set_lock(user_id, std::nullopt, now); !s) return s.error();
  auto user = ctx_.store.find_user_by_id(user_id);
  if (!user) return user.error();
  if (!user->has_value()) return make_error("not_found", "No such user");
  ctx_.logger->info("user unlocked", {{"audit", true},
                                      {"event", "unlock"},
                                      {"user_id", user_id},
                                      {"client_ip", admin.ip},
                                      {"correlation_id", admin.correlation_id}});
  return **user;
}

Status AccountService::set_admin(const std::string& username, bool is_admin) {
  auto user = ctx_.store.find_user_by_username(username);
  if (!user) return user.error();
  if (!user->has_value()) return make_error("not_found", "No such user");
  return ctx_.store.set_admin((*user)->id, is_admin, ctx_.clock.now());
}

}  // namespace faceid::auth
