// Quality gate: is this face good enough to enrol or to log in with? Measures size,
// sharpness, exposure and head pose, and names every failed check (QualityReport::failures:
// face_too_small, blurry, too_dark, overexposed, head_turned, head_tilted). Pure function.
#pragma once

#include <opencv2/core/types.hpp>

#include "face/face_aligner.h"
#include "face/face_chip.h"
#include "face/face_engine.h"

namespace faceid::face {

struct HeadPose {
  double yaw_deg = 0;    // + = turned towards the image's right
  double pitch_deg = 0;  // + = looking up
};

// Head pose from 6 landmarks fitted to a generic 3-D face (solvePnP).
HeadPose estimate_head_pose(const Landmarks& landmarks, cv::Size image_size);

// face_px: shorter side of the detector box in original image pixels.
QualityReport assess_quality(const FaceChip& chip, const Landmarks& landmarks, cv::Size image_size,
                             double face_px, const QualityThresholds& thresholds);

}  // namespace faceid::face
