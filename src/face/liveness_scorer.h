// Passive liveness: a live probability in [0,1] for one face in one photo. A replaceable
// component (the active blink / head-turn challenge of a later issue plugs in beside it).
// Instances are not thread-safe (cv::dnn::Net): one per engine worker, via clone().
#pragma once

#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>

#include "common/result.h"

namespace faceid::face {

class LivenessScorer {
 public:
  virtual ~LivenessScorer() = default;
  // bgr: the whole (decoded, oriented) photo; face_box: the detector's box in it.
  virtual double score(const cv::Mat& bgr, const cv::Rect2f& face_box) = 0;
  virtual std::unique_ptr<LivenessScorer> clone() const = 0;
};

using LivenessScorerPtr = std::unique_ptr<LivenessScorer>;

// Crop of the MiniFASNet input around the detector box (see liveness_scorer.cpp).
struct MiniFasNetCrop {
  double scale = 2.7;          // crop = box enlarged by this factor around its centre
  bool predictor_box = false;  // first map the RFB box to the tighter HOG-style box
};

// MiniFASNetV2-SE (Silent-Face-Anti-Spoofing) from fr_liveness.onnx.
Result<LivenessScorerPtr> make_minifasnet_scorer(const std::string& onnx_path,
                                                 const MiniFasNetCrop& crop);

}  // namespace faceid::face
