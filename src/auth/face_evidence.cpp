// One photo or a challenge response -> the face to enrol or match.
#include "auth/face_evidence.h"

#include "liveness/challenge_verifier.h"

namespace faceid::auth {
namespace {

Error required(const char* field) {
  return make_error("validation_error", "Some fields are invalid",
                    {std::string(field) + ": is required"});
}

Result<AnalyzedFace> analyze_photo(AuthContext& ctx, std::string_view image) {
  if (ctx.settings.challenge_mode == ChallengeMode::kRequired) {
    return make_error("challenge_required",
                      "A liveness challenge is required: send challenge_id and frames");
  }
  if (image.empty()) return required("face_image");
  auto face = ctx.engine.analyze_single(image, {.liveness = ctx.settings.liveness_enabled});
  if (!face) return face.error();
  if (!liveness_passes(ctx, *face)) return liveness_failed();
  return AnalyzedFace{std::move(*face), {"face"}};
}

Result<AnalyzedFace> analyze_challenge(AuthContext& ctx, const FaceEvidence& e,
                                       const std::string& client_ip) {
  if (ctx.settings.challenge_mode == ChallengeMode::kOff || ctx.challenges == nullptr) {
    return make_error("validation_error", "Some fields are invalid",
                      {"challenge_id: liveness challenges are turned off; send face_image"});
  }
  if (e.challenge_id.empty()) return required("challenge_id");
  if (e.frames.empty()) return required("frames");
  auto live =
      ctx.challenges->verify({e.challenge_id, e.frames}, client_ip, ctx.settings.liveness_enabled);
  if (ctx.settings.liveness_enabled) {
    const bool passed = live || live.error().code != "liveness_failed";
    ctx.metrics.liveness(passed);
  }
  if (!live) return live.error();
  // The chosen frontal frame is what gets enrolled or matched: it must pass the same quality
  // gate as a single photo.
  if (!live->face.quality.passed) {
    return make_error("poor_image_quality", "the face image is not good enough",
                      live->face.quality.failures);
  }
  return AnalyzedFace{std::move(live->face), {"face", "liveness_challenge"}};
}

}  // namespace

Result<AnalyzedFace> analyze_evidence(AuthContext& ctx, const FaceEvidence& evidence,
                                      const std::string& client_ip) {
  if (evidence.is_challenge()) return analyze_challenge(ctx, evidence, client_ip);
  return analyze_photo(ctx, evidence.image);
}

}  // namespace faceid::auth
