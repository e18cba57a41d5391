// FaceFinder: detection that does not depend on framing. One detector pass suffices for an
// ordinary photo; a face that fills or touches the frame, a small face or a head the first
// detector does not see gets further tries (padding, tiles, the other detector) before the
// engine answers no_face_detected.
#pragma once

#include <opencv2/core/mat.hpp>
#include <vector>

#include "face/face_detector.h"

namespace faceid::face {

struct FoundFaces {
  cv::Mat image;                 // what the boxes refer to: the frame, or a padded copy of it
  cv::Point offset{0, 0};        // where the frame's (0,0) lies in `image`
  std::vector<Detection> faces;  // highest score first; empty when every try failed
};

// primary: the configured detector; fallback: the other kind (may be null). find_small_faces
// is passed on to the primary's first pass (group photos).
FoundFaces find_faces(const cv::Mat& frame, FaceDetector& primary, FaceDetector* fallback,
                      bool find_small_faces);

}  // namespace faceid::face
