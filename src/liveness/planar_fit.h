// The photometric "is this face flat?" test. Landmarks alone cannot answer it: dlib's shape
// predictor, shown a photo warped by perspective, places the nose as if the head had turned
// (measured: docs/liveness.md). Pixels can: a photo's image moves by one homography, however
// it is tilted, so after the best homography the frontal frame's face matches the turned
// frame's almost perfectly; a real head turning does not (the nose hides part of a cheek,
// the outline slides, shading changes).
#pragma once

#include <opencv2/core/mat.hpp>

#include "face/face_engine.h"

namespace faceid::liveness {

// Correlation (ECC, in [-1, 1]) between the face region of `from` and `to` after the best
// homography from `from` to `to` (started from the landmark homography and refined on the
// pixels). Near 1: the two views differ by a homography (a flat picture); lower: they do
// not. Images are 8-bit BGR or grey, landmarks in their pixel coordinates.
double planar_fit(const cv::Mat& from, const face::FaceLandmarks& from_lm, const cv::Mat& to,
                  const face::FaceLandmarks& to_lm);

}  // namespace faceid::liveness
