// ChallengeVerifier: redeems a challenge and checks the frames sent in response to it (the
// face engine on every frame, then verify_response). What `auth` calls in place of a single
// photo's analysis. Thread-safe (the engine and the challenge service are).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
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

// What one response may cost, read from the frames' headers before any is decoded. Frames are
// camera stills (the page and the CLI send at most 640 px, ~0.3 MP), so each has a far smaller
// cap than a single photo, and the response as a whole a pixel budget; the responses of one
// client together have a budget per minute (issue 20: 40 frames of 6300x6300 PNG cost 40
// CPU-seconds).
struct ResponseBudget {
  long long max_frame_pixels = 1920LL * 1088;            // a full-HD frame
  long long max_response_pixels = 24'000'000;            // 40 frames of 0.6 MP
  long long max_client_pixels_per_minute = 120'000'000;  // five full responses
};

// How the verifier decodes the frames it compares pixel by pixel (planar_fit): with the
// engine's limits and through the process's decode gate (null: not gated).
struct FrameDecoding {
  face::DecodeLimits limits;
  std::shared_ptr<face::DecodeGate> gate;
  ResponseBudget budget;
};

class ChallengeVerifier {
 public:
  ChallengeVerifier(ChallengeService& challenges, face::FaceEngine& engine,
                    FrameDecoding decoding = {}, VerifierThresholds thresholds = {});

  // Errors: validation_error (frame count outside the challenge's bounds), challenge_invalid,
  // challenge_reused, challenge_expired, image_too_large (a frame or the response over its
  // pixel budget), rate_limited (the client's pixel budget for this minute is spent), the
  // engine's codes for the first frame that fails (details name the frame; later frames are
  // not analysed), then verify_response's codes. The challenge is consumed by any attempt.
  Result<LiveFace> verify(const ChallengeResponse& response, const std::string& client_ip,
                          bool passive_liveness);

  ChallengeService& challenges() { return challenges_; }

 private:
  Result<std::vector<face::FaceResult>> analyze_frames(const std::vector<std::string_view>& frames,
                                                       bool passive_liveness);
  // Sums the frames' pixels from their headers and charges them to the client's minute.
  Status charge(const std::vector<std::string_view>& frames, const std::string& client_ip);

  // Pixels each client sent in the current minute. Guarded by cost_mutex_.
  struct ClientCost {
    std::chrono::steady_clock::time_point window_start;
    long long pixels = 0;
  };
  std::mutex cost_mutex_;
  std::unordered_map<std::string, ClientCost> cost_;

  ChallengeService& challenges_;
  face::FaceEngine& engine_;
  const FrameDecoding decoding_;
  const VerifierThresholds thresholds_;
};

}  // namespace faceid::liveness
