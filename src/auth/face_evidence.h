// FaceEvidence: what a person presents to enrol or sign in: one photo, or the frames of a
// liveness challenge response. analyze_evidence() turns either into the face the account
// code works with, applying LIVENESS_CHALLENGE (off | optional | required) and the
// passive-liveness gate, and says which authentication methods were proven (the "amr" claim).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "auth/auth_context.h"

namespace faceid::auth {

struct FaceEvidence {
  FaceEvidence() = default;
  FaceEvidence(std::string_view photo) : image(photo) {}  // NOLINT(google-explicit-constructor)

  std::string_view image;  // a single photo (face_image)
  std::string challenge_id;
  std::vector<std::string_view> frames;  // the challenge response, in capture order

  // Frames without a face_image make a challenge response. A face_image wins: generic form
  // clients (the API docs page) fill every field, and a photo is never the stronger proof
  // (LIVENESS_CHALLENGE=required refuses it anyway).
  bool is_challenge() const { return image.empty() && !frames.empty(); }
};

struct AnalyzedFace {
  face::FaceResult face;         // liveness = the single photo's or the aggregated passive score
  std::vector<std::string> amr;  // ["face"] or ["face", "liveness_challenge"]
};

// Errors: validation_error (missing photo/frames, or a challenge while challenges are off),
// challenge_required, the challenge's codes (challenge_invalid, challenge_reused,
// challenge_expired, action_missing, action_unexpected, identity_changed, not_3d,
// liveness_failed), the engine's codes (poor_image_quality when the chosen frame fails the
// quality gate) and liveness_failed for a single photo.
Result<AnalyzedFace> analyze_evidence(AuthContext& ctx, const FaceEvidence& evidence,
                                      const std::string& client_ip);

}  // namespace faceid::auth
