// ChallengeVerifier: redeems a challenge and checks the frames sent in response to it (the
// face engine on every frame, then verify_response). What `auth` calls in place of a single
// photo's analysis. Thread-safe (the engine and the challenge service are).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "face/decode_limits.h"
#include "face/face_engine.h"
#include "liveness/challenge_service.h"
#include "liveness/response_verifier.h"

namespace faceid::face {
class DecodeGate;
}

namespace faceid::liveness {

struct ChallengeResponse {
  std::string challenge_id;
  std::vector<std::string_view> frames;  // encoded images, in capture order
};

// A response that passed: the frontal face the template or probe comes from (its embedding is
// the mean of the capture's frontal frames that pass the quality gate; its liveness field
// holds the aggregated passive score when passive liveness is on) and the verdict.
struct LiveFace {
  face::FaceResult face;
  VerifiedResponse verdict;
  std::vector<Action> actions;
};

// How the verifier decodes the frames it compares pixel by pixel (planar_fit): with the
// engine's limits and through the process's decode gate (null: not gated).
struct FrameDecoding {
  face::DecodeLimits limits;
  std::shared_ptr<face::DecodeGate> gate;
};

class ChallengeVerifier {
 public:
  ChallengeVerifier(ChallengeService& challenges, face::FaceEngine& engine,
                    FrameDecoding decoding = {}, VerifierThresholds thresholds = {});

  // Errors: validation_error (frame count outside the challenge's bounds), challenge_invalid,
  // challenge_reused, challenge_expired, the engine's codes for any frame (details name the
  // frame), then verify_response's codes. The challenge is consumed by any attempt.
  Result<LiveFace> verify(const ChallengeResponse& response, const std::string& client_ip,
                          bool passive_liveness);

  ChallengeService& challenges() { return challenges_; }

 private:
  Result<std::vector<face::FaceResult>> analyze_frames(const std::vector<std::string_view>& frames,
                                                       bool passive_liveness);

  ChallengeService& challenges_;
  face::FaceEngine& engine_;
  const FrameDecoding decoding_;
  const VerifierThresholds thresholds_;
};

}  // namespace faceid::liveness
