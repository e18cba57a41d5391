// Face detectors behind one small interface: RFB-320 (Ultra-Light-Fast-Generic-Face-
// Detector, ONNX through cv::dnn, the default "cnn") and dlib's HOG frontal detector
// ("hog", what the Python face_recognition service used). Instances are not thread-safe
// (cv::dnn::Net and dlib's scanner keep scratch state): one per engine worker.
#pragma once

#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "common/result.h"

namespace faceid::face {

// How a detector box relates to the face: RFB-320 boxes are taller and looser than the
// square HOG boxes dlib's landmark predictor was trained on.
enum class BoxStyle { kHog, kRfb };

struct Detection {
  cv::Rect2f box;  // in image pixels, as the detector reports it
  float score = 0;
  BoxStyle style = BoxStyle::kRfb;
};

struct DetectOptions {
  // Also scan overlapping tiles of large frames, so that faces much smaller than the frame
  // (group photos) are found. Off for selfies: one 320x240 pass then suffices.
  bool find_small_faces = false;
};

class FaceDetector {
 public:
  virtual ~FaceDetector() = default;
  // Faces in an 8-bit BGR image, highest score first.
  virtual std::vector<Detection> detect(const cv::Mat& bgr, const DetectOptions& options) = 0;
  virtual std::unique_ptr<FaceDetector> clone() const = 0;
  virtual std::string name() const = 0;
};

using FaceDetectorPtr = std::unique_ptr<FaceDetector>;

// kind: "cnn" (needs models_dir/.../fr_detect.onnx) or "hog" (kept in hog_cache_path when
// given: ModelFiles::hog_detector_cache).
Result<FaceDetectorPtr> make_face_detector(const std::string& kind, const std::string& onnx_path,
                                           const std::string& hog_cache_path = "");

// Non-maximum suppression on intersection-over-union; keeps the higher score.
std::vector<Detection> suppress_overlaps(std::vector<Detection> detections, float max_iou);

}  // namespace faceid::face
