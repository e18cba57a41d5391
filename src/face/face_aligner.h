// 68-point landmarks (dlib's shape predictor) and the aligned 150x150 chip the ResNet
// expects (dlib get_face_chip_details(shape, 150, 0.25) + extract_image_chip). The
// predictor is read-only after loading, so one FaceAligner is shared by all threads.
//
// dlib's predictor was trained on HOG detector boxes (square, eyebrows to chin). RFB-320
// boxes are taller and looser, so they are mapped to a HOG-like box first
// (predictor_box_from_rfb); docs/models.md records the effect on match distances.
#pragma once

#include <array>
#include <memory>
#include <opencv2/core/types.hpp>
#include <string>

#include "common/result.h"
#include "face/face_chip.h"

namespace cv {
class Mat;
}

namespace faceid::face {

using Landmarks = std::array<cv::Point2f, 68>;

// How a detector box relates to the box dlib's predictor was trained on.
enum class BoxStyle { kHog, kRfb };

cv::Rect2f predictor_box_from_rfb(const cv::Rect2f& rfb_box);

// The inverse, for consumers calibrated on RFB-320 boxes (the liveness crop) when the HOG
// detector is configured: median RFB height/width on testdata/faces is 1.44.
cv::Rect2f rfb_box_from_hog(const cv::Rect2f& hog_box);

class FaceAligner {
 public:
  static Result<std::unique_ptr<FaceAligner>> load(const std::string& predictor_path);
  ~FaceAligner();

  Landmarks landmarks(const cv::Mat& bgr, const cv::Rect2f& box, BoxStyle style) const;
  FaceChip chip(const cv::Mat& bgr, const Landmarks& landmarks) const;

 private:
  struct Impl;
  explicit FaceAligner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace faceid::face
