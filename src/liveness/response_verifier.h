// The verifier of a challenge response: given what the face engine saw in each frame (in
// capture order), decide whether a live, three-dimensional person performed the challenge's
// actions in order. Pure: no engine, no I/O, so every rule is unit-tested on landmark series.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "face/face_engine.h"
#include "liveness/challenge.h"

namespace faceid::liveness {

// What the verifier reads from one frame.
struct FrameObservation {
  face::FaceLandmarks landmarks{};
  double yaw_deg = 0;  // solvePnP pose (quality report), for the frontal choice
  double pitch_deg = 0;
  std::optional<double> passive;  // MiniFASNet live probability
  face::Embedding embedding{};
  bool quality_passed = true;  // the enrolment/sign-in quality gate on this frame

  static FrameObservation from(const face::FaceResult& face);
};

// Calibrated on the live clips in testdata (docs/liveness.md has the measurements).
struct VerifierThresholds {
  int baseline_frames = 3;      // the first frames, where the person faces the camera
  double max_start_yaw = 0.15;  // |yaw proxy| of the start: roughly frontal
  double turn_yaw = 0.10;       // yaw proxy change, relative to the start, for a turn
  double look_up_pitch = 0.08;  // pitch proxy drop for look_up
  double blink_dip = 0.75;      // EAR below this fraction of the open-eye EAR ...
  double blink_recover = 0.85;  // ... then back above this fraction
  // Not flat: on every head movement, the frame of that movement least like the start frame
  // after the best homography (planar_fit) must correlate at most this much.
  double max_planar_fit = 0.93;
  double max_identity_distance = 0.5;  // every frame vs the chosen frontal frame
  double passive_threshold = 0.5;      // on the aggregate passive score
  double passive_quantile = 0.75;      // aggregate = this quantile of the frame scores
  bool passive_enabled = true;
};

// Why a response passed, for the attempt record, the response and docs.
struct VerifiedResponse {
  size_t best_frame = 0;              // the frontal frame the template or probe comes from
  double passive = 0;                 // aggregated passive score (0 when disabled)
  double planar_fit = 1;              // the highest of the movements' planar fits (1 = flat)
  double residual = 0;                // landmark homography residual there (diagnostic only)
  std::vector<size_t> action_frames;  // where each action was seen
};

// Errors (code; details say which frame or action): action_missing, action_unexpected (a
// turn that was not asked for), identity_changed, not_3d, liveness_failed,
// poor_image_quality (no frontal frame passes the quality gate).
// planar_fit(from, to): planar_fit() of two frames by index (the images live with the
// caller; tests pass their own).
using PlanarFitFn = std::function<double(size_t from, size_t to)>;
Result<VerifiedResponse> verify_response(const std::vector<Action>& actions,
                                         const std::vector<FrameObservation>& frames,
                                         const VerifierThresholds& t,
                                         const PlanarFitFn& planar_fit);

// The aggregate passive score of a response: the configured quantile of the frame scores.
double aggregate_passive(const std::vector<FrameObservation>& frames, double quantile);

}  // namespace faceid::liveness
