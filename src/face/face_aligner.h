// 68-point landmarks (dlib's shape predictor) and the aligned 150x150 chip the ResNet
// expects (dlib get_face_chip_details(shape, 150, 0.25) + extract_image_chip). The
// predictor is read-only after loading, so one FaceAligner is shared by all threads.
//
// dlib's predictor was trained on HOG detector boxes (square, eyebrows to chin). RFB-320
// boxes are taller and looser, so they are mapped to a HOG-like box first
// (predictor_box_from_rfb); docs/models.md records the effect on match distances.
// Whatever box a detector gives, fit() then refits from the box the predictor was trained on,
// derived from the first fit's points (and, for a rolled head, in an upright copy of the
// face): the landmarks, and so the embedding, stop depending on the detector and framing.
#pragma once

#include <array>
#include <memory>
#include <opencv2/core/types.hpp>
#include <string>

#include "common/result.h"
#include "face/face_chip.h"
#include "face/face_detector.h"

namespace cv {
class Mat;
}

namespace faceid::face {

using Landmarks = std::array<cv::Point2f, 68>;

cv::Rect2f predictor_box_from_rfb(const cv::Rect2f& rfb_box);

// The inverse, for consumers calibrated on RFB-320 boxes (the liveness crop) when the HOG
// detector is configured: median RFB height/width on testdata/faces is 1.44.
cv::Rect2f rfb_box_from_hog(const cv::Rect2f& hog_box);

// The HOG-style box the predictor expects for a face with these landmarks (calibrated with
// `face_calibrate models testdata/faces lmbox`).
cv::Rect2f predictor_box_from_landmarks(const Landmarks& landmarks);

// Head roll from the eye centres, degrees (positive: the face's left eye, on the image's
// right, is lower).
double eye_roll_deg(const Landmarks& landmarks);

class FaceAligner {
 public:
  // cache_path: where the predictor's packed copy is kept ("" for none).
  static Result<std::unique_ptr<FaceAligner>> load(const std::string& predictor_path,
                                                   const std::string& cache_path = "");
  ~FaceAligner();

  // One predictor pass from a detector box.
  Landmarks landmarks(const cv::Mat& bgr, const cv::Rect2f& box, BoxStyle style) const;
  // landmarks(), then refits from the predictor-style box of those points, in an upright
  // (de-rolled) copy of the face when the eyes are tilted: what the engine uses.
  // `first_fit`, when given, receives the points fitted from the detector's box alone (what
  // the liveness verifier's geometry thresholds are calibrated on: docs/liveness.md).
  // `trusted_box`: the box is dlib's own HOG box for this face, so the first fit is kept
  // unless the head is rolled far (the refit corrects for boxes of other detectors).
  Landmarks fit(const cv::Mat& bgr, const cv::Rect2f& box, BoxStyle style,
                Landmarks* first_fit = nullptr, bool trusted_box = false) const;
  FaceChip chip(const cv::Mat& bgr, const Landmarks& landmarks) const;

 private:
  struct Impl;
  explicit FaceAligner(std::unique_ptr<Impl> impl);
  Landmarks refit(const cv::Mat& bgr, const Landmarks& previous) const;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faceid::face
