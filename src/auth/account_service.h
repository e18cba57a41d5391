// AccountService: registration (fields, face, duplicate-face check, Argon2id, one atomic
// write), extra face templates, GDPR erasure, admin unlock/promotion.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "auth/auth_context.h"
#include "auth/face_evidence.h"

namespace faceid::auth {

struct Registration {
  std::string username;
  std::string email;
  std::string password;
  std::string_view face_image;  // empty when the field was missing
  bool is_admin = false;
  // Or a liveness challenge response instead of face_image (the template then comes from its
  // best frontal frame).
  std::string challenge_id;
  std::vector<std::string_view> frames;
};

class AccountService {
 public:
  explicit AccountService(AuthContext& ctx) : ctx_(ctx) {}

  // Errors: validation_error (details list every bad field), registration_refused (username
  // or email taken, or the face enrolled elsewhere: deliberately one code), face codes,
  // liveness_failed, the challenge's codes (analyze_evidence).
  Result<store::User> register_user(const Registration& r, const ClientInfo& client);
  // Adds a template of the same person. Errors: face codes, liveness_failed, face_mismatch,
  // face_already_registered, too_many_templates, not_found.
  Result<store::FaceTemplate> add_face(const std::string& user_id, const FaceEvidence& face,
                                       const ClientInfo& client);
  Status delete_account(const std::string& user_id, const ClientInfo& client);
  Result<store::User> unlock(const std::string& user_id, const ClientInfo& admin);
  Status set_admin(const std::string& username, bool is_admin);

 private:
  Result<face::FaceResult> analyze_live_face(const FaceEvidence& face, const ClientInfo& client);
  // The duplicate-face rule (face/match_calibration.h): refuses a face nearer another account
  // than DUPLICATE_MAX_REFUSAL allows; flags (audit log) one within that account's 1:1
  // threshold.
  Status check_not_registered(const face::Embedding& e, const std::string& except_user,
                              const ClientInfo& client);

  AuthContext& ctx_;
  // Serialises "is this face already enrolled?" with the write that enrols it, so two
  // concurrent registrations of one face cannot both pass. Per process: replicas sharing a
  // PostgreSQL store need the database to arbitrate (see docs/architecture.md).
  std::mutex enroll_mu_;
};

}  // namespace faceid::auth
