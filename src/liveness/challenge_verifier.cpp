// Redeem, analyse every frame, verify. The frames are analysed on two threads: a response
// carries 8-40 frames at ~50-70 ms each, and the engine's worker pool holds one network set
// per core.
#include "liveness/challenge_verifier.h"

#include <algorithm>
#include <cmath>
#include <future>
#include <map>
#include <opencv2/imgproc.hpp>

#include "face/image_decoder.h"
#include "liveness/planar_fit.h"

namespace faceid::liveness {
namespace {
constexpr size_t kAnalysisThreads = 2;

// A frame's pixels in the coordinates its landmarks use (those of the full, oriented image).
cv::Mat decode_frame(std::string_view bytes) {
  auto decoded = face::decode_image(bytes, {});
  if (!decoded) return {};
  const double s = static_cast<double>(decoded->original_size.width) / decoded->bgr.cols;
  if (std::abs(s - 1) < 1e-6) return decoded->bgr;
  cv::Mat full;
  cv::resize(decoded->bgr, full, decoded->original_size, 0, 0, cv::INTER_LINEAR);
  return full;
}

}  // namespace

ChallengeVerifier::ChallengeVerifier(ChallengeService& challenges, face::FaceEngine& engine,
                                     VerifierThresholds thresholds)
    : challenges_(challenges), engine_(engine), thresholds_(thresholds) {}

Result<std::vector<face::FaceResult>> ChallengeVerifier::analyze_frames(
    const std::vector<std::string_view>& frames, bool passive_liveness) {
  const face::AnalyzeOptions options{.liveness = passive_liveness, .enforce_quality = false};
  std::vector<std::optional<Result<face::FaceResult>>> results(frames.size());
  auto work = [&](size_t first) {
    for (size_t i = first; i < frames.size(); i += kAnalysisThreads) {
      results[i] = engine_.analyze_single(frames[i], options);
    }
  };
  std::vector<std::future<void>> helpers;
  for (size_t t = 1; t < std::min(kAnalysisThreads, frames.size()); ++t) {
    helpers.push_back(std::async(std::launch::async, work, t));
  }
  work(0);
  for (auto& h : helpers) h.get();
  std::vector<face::FaceResult> faces;
  faces.reserve(frames.size());
  for (size_t i = 0; i < results.size(); ++i) {
    if (!*results[i]) {
      Error e = results[i]->error();
      e.details.insert(e.details.begin(), "frame " + std::to_string(i));
      return e;
    }
    faces.push_back(std::move(results[i]->value()));
  }
  return faces;
}

Result<LiveFace> ChallengeVerifier::verify(const ChallengeResponse& response,
                                           const std::string& client_ip, bool passive_liveness) {
  auto challenge = challenges_.redeem(response.challenge_id, client_ip);
  if (!challenge) return challenge.error();
  const ChallengeOptions& o = challenges_.options();
  const auto n = static_cast<int>(response.frames.size());
  if (n < o.min_frames || n > o.max_frames) {
    return make_error("validation_error", "Some fields are invalid",
                      {"frames: send " + std::to_string(o.min_frames) + " to " +
                       std::to_string(o.max_frames) + " frames"});
  }
  auto faces = analyze_frames(response.frames, passive_liveness);
  if (!faces) return faces.error();
  std::vector<FrameObservation> observed;
  observed.reserve(faces->size());
  for (const auto& f : *faces) observed.push_back(FrameObservation::from(f));
  VerifierThresholds t = thresholds_;
  t.passive_enabled = passive_liveness;
  std::map<size_t, cv::Mat> images;  // decoded on demand: only the start and movement frames
  auto image = [&](size_t i) -> const cv::Mat& {
    auto it = images.find(i);
    if (it == images.end()) it = images.emplace(i, decode_frame(response.frames[i])).first;
    return it->second;
  };
  auto planar = [&](size_t from, size_t to) {
    return planar_fit(image(from), (*faces)[from].landmarks, image(to), (*faces)[to].landmarks);
  };
  auto verdict = verify_response(challenge->actions, observed, t, planar);
  if (!verdict) return verdict.error();
  LiveFace out{std::move((*faces)[verdict->best_frame]), *verdict, challenge->actions};
  out.face.liveness = passive_liveness ? std::optional(verdict->passive) : std::nullopt;
  return out;
}

}  // namespace faceid::liveness
