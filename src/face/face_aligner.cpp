// Landmarks and chip extraction with dlib.
#include "face/face_aligner.h"

#include <dlib/image_processing.h>
#include <dlib/image_transforms.h>
#include <dlib/opencv/cv_image.h>

#include <opencv2/core/mat.hpp>

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

Result<std::unique_ptr<FaceAligner>> FaceAligner::load(const std::string& predictor_path) {
  auto predictor = PackedShapePredictor::load(predictor_path);
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

FaceChip FaceAligner::chip(const cv::Mat& bgr, const Landmarks& landmarks) const {
  const dlib::cv_image<dlib::bgr_pixel> image(bgr);
  FaceChip chip;
  dlib::extract_image_chip(
      image, dlib::get_face_chip_details(to_shape(landmarks), kChipSize, kChipPadding), chip);
  return chip;
}

}  // namespace faceid::face
