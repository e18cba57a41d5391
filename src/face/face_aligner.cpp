// Landmarks and chip extraction with dlib.
#include "face/face_aligner.h"

#include <dlib/image_processing.h>
#include <dlib/image_transforms.h>
#include <dlib/opencv/cv_image.h>

#include <cmath>
#include <opencv2/core/mat.hpp>
#include <opencv2/imgproc.hpp>

#include "face/packed_shape_predictor.h"

namespace faceid::face {
namespace {

// RFB-320 box -> HOG-style box, fitted (least squares) on the test photos where both
// detectors find the face: HOG boxes are narrower, square and sit lower on the face.
// Medians over 21 faces in testdata/faces: dx 0.02, dy 0.068, side 1.10 (docs/models.md).
constexpr float kRfbCenterDx = 0.0f;   // x centre shift, fraction of RFB width
constexpr float kRfbCenterDy = 0.07f;  // y centre shift, fraction of RFB height
constexpr float kRfbSide = 1.10f;      // HOG side, fraction of RFB width
constexpr float kRfbAspect = 1.44f;    // RFB height / width (median)

// HOG box from the bounding box of the 68 points the predictor returns for that HOG box
// (`face_calibrate ... lmbox`, medians over the faces of testdata/faces): centre shift as a
// fraction of the points' width / height, side as a fraction of the points' larger extent.
constexpr float kLandmarkCenterDx = 0.0f;  // median 0.014: taken as 0 (mirror symmetry)
constexpr float kLandmarkCenterDy = -0.12f;
constexpr float kLandmarkSide = 1.02f;
// Rolls below this are fitted in place; above it, in an upright copy of the face (the
// predictor's training faces were mostly upright, and its fit degrades past ~15 degrees).
constexpr double kUprightRollDeg = 8.0;
constexpr int kRefits = 2;
// A refit that moved the roll estimate by less than this has settled: another pass only
// jitters the points by ~1-2 % of the eye distance (measured on testdata/faces), so it is
// skipped. Heads rolled far (the drift test's +-30 degrees) still get the second pass.
constexpr double kSettledRollDeg = 2.0;
// From dlib's own HOG box the first fit is the one the predictor was trained for: refitting it
// from the points' box moved 60 LFW embeddings away from the reference pipeline's, most for
// the worse (bench/accuracy). Only a head rolled this far is refitted upright.
constexpr double kTrustedBoxRollDeg = 20.0;
// The upright copy covers this many box sides around the face.
constexpr float kUprightPatchSides = 2.0f;

dlib::rectangle to_dlib(const cv::Rect2f& r) {
  return dlib::rectangle(std::lround(r.x), std::lround(r.y), std::lround(r.x + r.width - 1),
                         std::lround(r.y + r.height - 1));
}

dlib::full_object_detection to_shape(const Landmarks& lm) {
  std::vector<dlib::point> parts;
  parts.reserve(lm.size());
  float x0 = lm[0].x, y0 = lm[0].y, x1 = x0, y1 = y0;
  for (const auto& p : lm) {
    parts.emplace_back(std::lround(p.x), std::lround(p.y));
    x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
  }
  return dlib::full_object_detection(to_dlib(cv::Rect2f(x0, y0, x1 - x0, y1 - y0)), parts);
}

}  // namespace

cv::Rect2f predictor_box_from_rfb(const cv::Rect2f& b) {
  const float cx = b.x + b.width * (0.5f + kRfbCenterDx);
  const float cy = b.y + b.height * (0.5f + kRfbCenterDy);
  const float side = b.width * kRfbSide;
  return {cx - side / 2, cy - side / 2, side, side};
}

cv::Rect2f predictor_box_from_landmarks(const Landmarks& lm) {
  float x0 = lm[0].x, y0 = lm[0].y, x1 = x0, y1 = y0;
  for (const auto& p : lm) {
    x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
  }
  const float w = x1 - x0, h = y1 - y0;
  const float cx = (x0 + x1) / 2 + kLandmarkCenterDx * w;
  const float cy = (y0 + y1) / 2 + kLandmarkCenterDy * h;
  const float side = kLandmarkSide * std::max(w, h);
  return {cx - side / 2, cy - side / 2, side, side};
}

double eye_roll_deg(const Landmarks& lm) {
  cv::Point2f left(0, 0), right(0, 0);  // in the image: 36-41 left, 42-47 right
  for (int i = 36; i < 42; ++i) left += lm[i] / 6.f;
  for (int i = 42; i < 48; ++i) right += lm[i] / 6.f;
  return std::atan2(right.y - left.y, right.x - left.x) * 180.0 / CV_PI;
}

cv::Rect2f rfb_box_from_hog(const cv::Rect2f& b) {
  const float width = b.width / kRfbSide;
  const float height = width * kRfbAspect;
  const float cx = b.x + b.width / 2 - width * kRfbCenterDx;
  const float cy = b.y + b.height / 2 - height * kRfbCenterDy;
  return {cx - width / 2, cy - height / 2, width, height};
}

struct FaceAligner::Impl {
  PackedShapePredictor predictor;
};

FaceAligner::FaceAligner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FaceAligner::~FaceAligner() = default;

Result<std::unique_ptr<FaceAligner>> FaceAligner::load(const std::string& predictor_path,
                                                       const std::string& cache_path) {
  auto predictor = PackedShapePredictor::load_cached(predictor_path, cache_path);
  if (!predictor) return predictor.error();
  return std::unique_ptr<FaceAligner>(
      new FaceAligner(std::make_unique<Impl>(Impl{std::move(*predictor)})));
}

Landmarks FaceAligner::landmarks(const cv::Mat& bgr, const cv::Rect2f& box, BoxStyle style) const {
  const cv::Rect2f input = style == BoxStyle::kRfb ? predictor_box_from_rfb(box) : box;
  const dlib::cv_image<dlib::bgr_pixel> image(bgr);
  const dlib::full_object_detection shape = impl_->predictor(image, to_dlib(input));
  Landmarks lm{};
  for (unsigned long i = 0; i < shape.num_parts() && i < lm.size(); ++i) {
    lm[i] =
        cv::Point2f(static_cast<float>(shape.part(i).x()), static_cast<float>(shape.part(i).y()));
  }
  return lm;
}

Landmarks FaceAligner::fit(const cv::Mat& bgr, const cv::Rect2f& box, BoxStyle style,
                           Landmarks* first_fit, bool trusted_box) const {
  Landmarks lm = landmarks(bgr, box, style);
  if (first_fit != nullptr) *first_fit = lm;
  if (trusted_box && std::abs(eye_roll_deg(lm)) < kTrustedBoxRollDeg) return lm;
  // Up to two refits: on a strongly rolled head the first fit's roll is an underestimate;
  // the second, from an almost upright face, settles it.
  for (int pass = 0; pass < kRefits; ++pass) {
    const double roll = eye_roll_deg(lm);
    lm = refit(bgr, lm);
    if (std::abs(eye_roll_deg(lm) - roll) < kSettledRollDeg) break;
  }
  return lm;
}

Landmarks FaceAligner::refit(const cv::Mat& bgr, const Landmarks& first) const {
  const double roll = eye_roll_deg(first);
  if (std::abs(roll) < kUprightRollDeg) {
    return landmarks(bgr, predictor_box_from_landmarks(first), BoxStyle::kHog);
  }
  // Rotate a patch around the face so the eyes are level, fit there, map the points back.
  const cv::Rect2f around = predictor_box_from_landmarks(first);
  const cv::Point2f centre(around.x + around.width / 2, around.y + around.height / 2);
  const int patch = std::max(16, static_cast<int>(std::lround(around.width * kUprightPatchSides)));
  cv::Mat to_patch = cv::getRotationMatrix2D(centre, roll, 1.0);
  to_patch.at<double>(0, 2) += patch / 2.0 - centre.x;
  to_patch.at<double>(1, 2) += patch / 2.0 - centre.y;
  cv::Mat upright;
  cv::warpAffine(bgr, upright, to_patch, cv::Size(patch, patch), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT);
  std::vector<cv::Point2f> moved;
  cv::transform(std::vector<cv::Point2f>(first.begin(), first.end()), moved, to_patch);
  Landmarks rotated{};
  std::copy(moved.begin(), moved.end(), rotated.begin());
  const Landmarks fitted =
      landmarks(upright, predictor_box_from_landmarks(rotated), BoxStyle::kHog);
  cv::Mat back;
  cv::invertAffineTransform(to_patch, back);
  std::vector<cv::Point2f> out;
  cv::transform(std::vector<cv::Point2f>(fitted.begin(), fitted.end()), out, back);
  Landmarks lm{};
  std::copy(out.begin(), out.end(), lm.begin());
  return lm;
}

FaceChip FaceAligner::chip(const cv::Mat& bgr, const Landmarks& landmarks) const {
  const dlib::cv_image<dlib::bgr_pixel> image(bgr);
  FaceChip chip;
  dlib::extract_image_chip(
      image, dlib::get_face_chip_details(to_shape(landmarks), kChipSize, kChipPadding), chip);
  return chip;
}

}  // namespace faceid::face
