// Challenge response verification. Order of the checks: a usable frontal frame, the same
// person throughout, the actions in the order asked, the face is not flat, passive liveness.
// Identity comes before actions so that swapping people mid-sequence cannot pose as a turn.
#include "liveness/response_verifier.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "liveness/face_geometry.h"

namespace faceid::liveness {
namespace {

constexpr size_t kNone = std::numeric_limits<size_t>::max();

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

// The reference the actions are measured against: the first frames, where the person looks
// at the camera, and the open-eye EAR (eyes are open in most frames).
struct Baseline {
  double yaw = 0;
  double pitch = 0;
  double ear_open = 0;
  size_t frame = 0;  // the most typical of the first frames: the "from" of the flatness test
};

Baseline baseline_of(const std::vector<FrameObservation>& frames, const VerifierThresholds& t) {
  const size_t n = std::min(frames.size(), static_cast<size_t>(std::max(1, t.baseline_frames)));
  std::vector<double> yaw, pitch, ear;
  for (size_t i = 0; i < n; ++i) {
    yaw.push_back(yaw_proxy(frames[i].landmarks));
    pitch.push_back(pitch_proxy(frames[i].landmarks));
  }
  for (const auto& f : frames) ear.push_back(eye_aspect_ratio(f.landmarks));
  Baseline b{quantile(yaw, 0.5), quantile(pitch, 0.5), quantile(ear, 0.8), 0};
  double best = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < n; ++i) {
    const double d = std::abs(yaw[i] - b.yaw) + std::abs(pitch[i] - b.pitch);
    if (d < best) best = d, b.frame = i;
  }
  return b;
}

// Which head movement a frame shows relative to the baseline, if any. A non-mirrored camera
// sees a person's turn to their left as the nose moving towards the image's right (+ yaw).
std::optional<Action> pose_of(const FrameObservation& f, const Baseline& b,
                              const VerifierThresholds& t) {
  const double dyaw = yaw_proxy(f.landmarks) - b.yaw;
  if (dyaw >= t.turn_yaw) return Action::kTurnLeft;
  if (dyaw <= -t.turn_yaw) return Action::kTurnRight;
  if (b.pitch - pitch_proxy(f.landmarks) >= t.look_up_pitch) return Action::kLookUp;
  return std::nullopt;
}

double pose_strength(const FrameObservation& f, const Baseline& b) {
  return std::abs(yaw_proxy(f.landmarks) - b.yaw) + std::abs(pitch_proxy(f.landmarks) - b.pitch);
}

bool is_turn(Action a) { return a == Action::kTurnLeft || a == Action::kTurnRight; }

Error error_at(const char* code, const char* message, const std::string& detail) {
  return make_error(code, message, {detail});
}

// The frontal frame with the best pose among those that pass quality with open eyes.
size_t best_frontal(const std::vector<FrameObservation>& frames, const Baseline& b,
                    const VerifierThresholds& t) {
  size_t best = kNone;
  double best_score = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < frames.size(); ++i) {
    const auto& f = frames[i];
    if (!f.quality_passed || pose_of(f, b, t)) continue;
    if (eye_aspect_ratio(f.landmarks) < t.blink_recover * b.ear_open) continue;
    const double score = std::abs(f.yaw_deg) + std::abs(f.pitch_deg);
    if (score < best_score) best_score = score, best = i;
  }
  return best;
}

struct ActionSearch {
  size_t found = kNone;  // the frame that shows the action (its peak for head movements)
  size_t first = 0;      // head movements: the frames [first, next) show it
  size_t next = 0;       // where the next action's search starts
  std::optional<Error> error;
};

ActionSearch find_blink(const std::vector<FrameObservation>& frames, size_t from, const Baseline& b,
                        const VerifierThresholds& t) {
  ActionSearch s;
  for (size_t i = from; i < frames.size(); ++i) {
    if (eye_aspect_ratio(frames[i].landmarks) >= t.blink_dip * b.ear_open) continue;
    for (size_t j = i + 1; j < frames.size(); ++j) {
      if (eye_aspect_ratio(frames[j].landmarks) >= t.blink_recover * b.ear_open) {
        s.found = i;
        s.next = j + 1;
        return s;
      }
    }
    break;  // closed and never reopened
  }
  return s;
}

// A head movement. A turn the other way that was not asked for (and is not the previous
// action still in progress) fails the response: a replay that turns both ways must not pass
// by containing the asked order somewhere inside it.
ActionSearch find_pose(const std::vector<FrameObservation>& frames, size_t from, Action want,
                       std::optional<Action> previous, const Baseline& b,
                       const VerifierThresholds& t) {
  ActionSearch s;
  for (size_t i = from; i < frames.size(); ++i) {
    const std::optional<Action> seen = pose_of(frames[i], b, t);
    if (!seen) continue;
    if (*seen == want) {
      size_t peak = i;
      size_t j = i;
      for (; j < frames.size() && pose_of(frames[j], b, t) == want; ++j) {
        if (pose_strength(frames[j], b) > pose_strength(frames[peak], b)) peak = j;
      }
      s.found = peak;
      s.first = i;
      s.next = j;
      return s;
    }
    if (is_turn(*seen) && seen != previous) {
      s.error = error_at("action_unexpected", "A head movement that was not asked for",
                         std::string(action_name(*seen)) + " at frame " + std::to_string(i) +
                             " while waiting for " + std::string(action_name(want)));
      return s;
    }
  }
  return s;
}

}  // namespace

FrameObservation FrameObservation::from(const face::FaceResult& face) {
  FrameObservation o;
  o.landmarks = face.landmarks;
  o.yaw_deg = face.quality.yaw_deg;
  o.pitch_deg = face.quality.pitch_deg;
  o.passive = face.liveness;
  o.embedding = face.embedding;
  o.quality_passed = face.quality.passed;
  return o;
}

double aggregate_passive(const std::vector<FrameObservation>& frames, double q) {
  std::vector<double> scores;
  for (const auto& f : frames) {
    if (f.passive) scores.push_back(*f.passive);
  }
  return quantile(scores, q);
}

Result<VerifiedResponse> verify_response(const std::vector<Action>& actions,
                                         const std::vector<FrameObservation>& frames,
                                         const VerifierThresholds& t,
                                         const PlanarFitFn& planar_fit) {
  if (frames.empty()) return make_error("action_missing", "No frames", {});
  const Baseline base = baseline_of(frames, t);
  VerifiedResponse out;
  if (std::abs(base.yaw) > t.max_start_yaw) {
    return make_error("action_missing", "Start facing the camera", {"no frontal start"});
  }
  out.best_frame = best_frontal(frames, base, t);
  if (out.best_frame == kNone) {
    return make_error("poor_image_quality", "No frame shows the face clearly and frontally",
                      {"no frontal frame passes the quality gate"});
  }
  for (size_t i = 0; i < frames.size(); ++i) {
    const float d = face::embedding_distance(frames[i].embedding, frames[out.best_frame].embedding);
    if (d > t.max_identity_distance) {
      return error_at("identity_changed", "The face changed during the challenge",
                      "frame " + std::to_string(i));
    }
  }

  size_t cursor = 0;
  int movements = 0;
  std::optional<Action> previous;
  for (Action want : actions) {
    ActionSearch s = want == Action::kBlink ? find_blink(frames, cursor, base, t)
                                            : find_pose(frames, cursor, want, previous, base, t);
    if (s.error) return *s.error;
    if (s.found == kNone) {
      return error_at("action_missing", "An action of the challenge was not seen",
                      std::string(action_name(want)));
    }
    out.action_frames.push_back(s.found);
    if (want != Action::kBlink) {
      // The movement's least planar frame counts (the peak alone may be a blurred frame);
      // a flat movement fails at once, whatever the remaining actions.
      double fit = 1;
      for (size_t i = s.first; i < s.next; ++i) fit = std::min(fit, planar_fit(base.frame, i));
      out.planar_fit = movements++ == 0 ? fit : std::max(out.planar_fit, fit);
      out.residual = std::max(out.residual, homography_residual(frames[base.frame].landmarks,
                                                                frames[s.found].landmarks));
      if (fit > t.max_planar_fit) {
        return make_error("not_3d", "The face moved like a flat picture",
                          {std::string(action_name(want)) + ": planar fit " + std::to_string(fit)});
      }
    }
    cursor = s.next;
    previous = want;
  }
  if (t.passive_enabled) {
    out.passive = aggregate_passive(frames, t.passive_quantile);
    if (out.passive < t.passive_threshold) {
      return make_error("liveness_failed", "Liveness check failed: present a live face");
    }
  }
  return out;
}

}  // namespace faceid::liveness
