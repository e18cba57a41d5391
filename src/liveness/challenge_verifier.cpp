// Redeem, analyse every frame, verify. The frames are analysed on two threads: a response
// carries 8-40 frames at ~50-70 ms each, and the engine's worker pool holds one network set
// per core.
#include "liveness/challenge_verifier.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <future>
#include <map>
#include <opencv2/imgproc.hpp>

#include "face/decode_gate.h"
#include "face/image_decoder.h"
#include "liveness/planar_fit.h"

namespace faceid::liveness {
namespace {
constexpr size_t kAnalysisThreads = 2;
// Frames this close to frontal (solvePnP pose) join the capture's fused embedding.
constexpr double kFrontalDeg = 15;

// The mean embedding of the frontal frames that pass the quality gate, the chosen one always
// among them: several views of one face in one capture are less noisy together than any one
// of them (the same fusion as an account's templates: auth/face_match.h).
face::Embedding fused_frontal(const std::vector<face::FaceResult>& faces, size_t best) {
  face::Embedding sum = faces[best].embedding;
  int n = 1;
  for (size_t i = 0; i < faces.size(); ++i) {
    const auto& q = faces[i].quality;
    if (i == best || !q.passed || std::abs(q.yaw_deg) > kFrontalDeg ||
        std::abs(q.pitch_deg) > kFrontalDeg) {
      continue;
    }
    for (int d = 0; d < face::kEmbeddingDim; ++d) sum[d] += faces[i].embedding[d];
    ++n;
  }
  for (float& v : sum) v /= static_cast<float>(n);
  return sum;
}
constexpr auto kCostWindow = std::chrono::minutes(1);
constexpr size_t kMaxTrackedClients = 10'000;  // then windows that ended are dropped

// A frame's pixels, possibly decoded scaled down (the decoded-pixel cap), and the factor from
// its landmarks' coordinates (those of the full, oriented image) to those pixels. planar_fit
// works at a fixed face size, so a scaled frame costs it nothing.
struct FramePixels {
  cv::Mat bgr;
  double scale = 1;
};

FramePixels decode_frame(std::string_view bytes, const FrameDecoding& decoding) {
  // The engine decoded this frame already: waiting for a slot is better than losing the check.
  auto decoded = decoding.gate ? decoding.gate->decode_waiting(bytes, decoding.limits)
                               : face::decode_image(bytes, decoding.limits);
  if (!decoded || decoded->original_size.width <= 0) return {};
  return {decoded->bgr, static_cast<double>(decoded->bgr.cols) / decoded->original_size.width};
}

face::FaceLandmarks scaled(face::FaceLandmarks landmarks, double s) {
  for (auto& p : landmarks) p = {static_cast<float>(p.x * s), static_cast<float>(p.y * s)};
  return landmarks;
}

}  // namespace

ChallengeVerifier::ChallengeVerifier(ChallengeService& challenges, face::FaceEngine& engine,
                                     FrameDecoding decoding, VerifierThresholds thresholds)
    : challenges_(challenges),
      engine_(engine),
      decoding_(std::move(decoding)),
      thresholds_(thresholds) {}

Result<std::vector<face::FaceResult>> ChallengeVerifier::analyze_frames(
    const std::vector<std::string_view>& frames, bool passive_liveness) {
  const face::AnalyzeOptions options{
      .liveness = passive_liveness, .enforce_quality = false, .video_frame = true};
  std::vector<std::optional<Result<face::FaceResult>>> results(frames.size());
  // The first frame that fails decides the outcome: the other thread stops there too.
  std::atomic<bool> failed{false};
  auto work = [&](size_t first) {
    for (size_t i = first; i < frames.size() && !failed; i += kAnalysisThreads) {
      results[i] = engine_.analyze_single(frames[i], options);
      if (!*results[i]) failed = true;
    }
  };
  std::vector<std::future<void>> helpers;
  for (size_t t = 1; t < std::min(kAnalysisThreads, frames.size()); ++t) {
    helpers.push_back(std::async(std::launch::async, work, t));
  }
  work(0);
  for (auto& h : helpers) h.get();
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i] && !*results[i]) {
      Error e = results[i]->error();
      e.details.insert(e.details.begin(), "frame " + std::to_string(i));
      return e;
    }
  }
  std::vector<face::FaceResult> faces;
  faces.reserve(frames.size());
  for (auto& r : results) faces.push_back(std::move(r->value()));
  return faces;
}

Status ChallengeVerifier::charge(const std::vector<std::string_view>& frames,
                                 const std::string& client_ip) {
  const ResponseBudget& budget = decoding_.budget;
  long long total = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    auto size = face::read_image_size(frames[i]);
    if (!size) {
      Error e = size.error();
      e.details.insert(e.details.begin(), "frame " + std::to_string(i));
      return e;
    }
    const long long pixels = static_cast<long long>(size->width) * size->height;
    if (pixels > budget.max_frame_pixels) {
      return make_error("image_too_large",
                        "frame " + std::to_string(i) + " is " + std::to_string(size->width) + "x" +
                            std::to_string(size->height) + ", over the frame cap of " +
                            std::to_string(budget.max_frame_pixels) + " pixels");
    }
    total += pixels;
  }
  if (total > budget.max_response_pixels) {
    return make_error("image_too_large", "frames total " + std::to_string(total) +
                                             " pixels, over the response budget of " +
                                             std::to_string(budget.max_response_pixels));
  }
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(cost_mutex_);
  if (cost_.size() >= kMaxTrackedClients) {
    std::erase_if(cost_, [&](const auto& c) { return now - c.second.window_start >= kCostWindow; });
  }
  ClientCost& mine = cost_[client_ip];
  if (now - mine.window_start >= kCostWindow) mine = {now, 0};
  if (mine.pixels + total > budget.max_client_pixels_per_minute) {
    auto wait = std::chrono::ceil<std::chrono::seconds>(mine.window_start + kCostWindow - now);
    Error e = make_error("rate_limited", "Too many challenge frames from this client; retry later");
    e.retry_after_seconds = static_cast<int>(std::max<long long>(1, wait.count()));
    return e;
  }
  mine.pixels += total;
  return {};
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
  if (Status s = charge(response.frames, client_ip); !s) return s.error();
  auto faces = analyze_frames(response.frames, passive_liveness);
  if (!faces) return faces.error();
  std::vector<FrameObservation> observed;
  observed.reserve(faces->size());
  for (const auto& f : *faces) observed.push_back(FrameObservation::from(f));
  VerifierThresholds t = thresholds_;
  t.passive_enabled = passive_liveness;
  // Decoded on demand: only the start and movement frames.
  std::map<size_t, FramePixels> images;
  auto image = [&](size_t i) -> const FramePixels& {
    auto it = images.find(i);
    if (it == images.end()) {
      it = images.emplace(i, decode_frame(response.frames[i], decoding_)).first;
    }
    return it->second;
  };
  auto planar = [&](size_t from, size_t to) {
    const FramePixels& a = image(from);
    const FramePixels& b = image(to);
    return planar_fit(a.bgr, scaled((*faces)[from].landmarks, a.scale), b.bgr,
                      scaled((*faces)[to].landmarks, b.scale));
  };
  auto verdict = verify_response(challenge->actions, observed, t, planar);
  if (!verdict) return verdict.error();
  const face::Embedding fused = fused_frontal(*faces, verdict->best_frame);
  LiveFace out{std::move((*faces)[verdict->best_frame]), *verdict, challenge->actions};
  out.face.embedding = fused;
  out.face.liveness = passive_liveness ? std::optional(verdict->passive) : std::nullopt;
  return out;
}

}  // namespace faceid::liveness
