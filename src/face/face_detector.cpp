// RFB-320 and HOG face detectors.
//
// RFB-320 takes a fixed 320x240 RGB input ((pixel - 127) / 128) and outputs 4420 priors with
// scores [1,4420,2] (index 1 = face) and boxes [1,4420,4] already decoded to x0,y0,x1,y1 in
// 0..1 of the frame. Its smallest anchors are ~10 px at the input scale, so one pass over a
// 640x480 selfie finds any face bigger than ~20 px. For big group photos we add a second,
// tiled pass (2x2 overlapping tiles) so smaller faces keep enough pixels.
#include "face/face_detector.h"

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>

#include <algorithm>
#include <fstream>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "face/model_cache.h"
#include "face/model_files.h"

namespace faceid::face {
namespace {

constexpr int kRfbWidth = 320;
constexpr int kRfbHeight = 240;
constexpr float kRfbMinScore = 0.9f;
constexpr float kNmsIou = 0.4f;
// Tiles are scanned only when the frame is this many times the detector input or more.
constexpr double kTileMinScale = 2.0;

class RfbDetector final : public FaceDetector {
 public:
  explicit RfbDetector(const cv::dnn::Net& net) : net_(net) {}  // Net copies share weights

  std::vector<Detection> detect(const cv::Mat& bgr, const DetectOptions& options) override {
    std::vector<Detection> found =
        suppress_overlaps(detect_in(bgr, cv::Rect(0, 0, bgr.cols, bgr.rows)), kNmsIou);
    const bool large =
        bgr.cols >= kTileMinScale * kRfbWidth || bgr.rows >= kTileMinScale * kRfbHeight;
    if (!options.find_small_faces || !large) return found;
    std::vector<Detection> tiled;
    const int tw = bgr.cols * 6 / 10, th = bgr.rows * 6 / 10;
    for (int ty : {0, bgr.rows - th}) {
      for (int tx : {0, bgr.cols - tw}) {
        auto more = detect_in(bgr, cv::Rect(tx, ty, tw, th));
        tiled.insert(tiled.end(), more.begin(), more.end());
      }
    }
    // Tiles only add faces the full-frame pass missed: a face seen by both keeps its
    // full-frame box, so its box (and the liveness crop) does not depend on the mode.
    for (const auto& t : suppress_overlaps(std::move(tiled), kNmsIou)) {
      std::vector<Detection> both = found;
      both.push_back(t);
      if (suppress_overlaps(both, kNmsIou).size() > found.size()) found.push_back(t);
    }
    return found;
  }

  std::unique_ptr<FaceDetector> clone() const override {
    // cv::dnn::Net is reference-counted: a real copy needs a re-read of the model bytes.
    return std::make_unique<RfbDetector>(cv::dnn::readNetFromONNX(model_bytes_));
  }

  std::string name() const override { return "cnn"; }

  void keep_model_bytes(std::vector<uchar> bytes) { model_bytes_ = std::move(bytes); }

 private:
  std::vector<Detection> detect_in(const cv::Mat& bgr, const cv::Rect& roi) {
    const cv::Mat blob =
        cv::dnn::blobFromImage(bgr(roi), 1.0 / 128, cv::Size(kRfbWidth, kRfbHeight),
                               cv::Scalar(127, 127, 127), /*swapRB=*/true);
    net_.setInput(blob);
    std::vector<cv::Mat> outs;
    net_.forward(outs, std::vector<cv::String>{"scores", "boxes"});
    const cv::Mat& scores = outs[0];
    const cv::Mat& boxes = outs[1];
    const int priors = scores.size[1];
    const auto* s = scores.ptr<float>();
    const auto* b = boxes.ptr<float>();
    std::vector<Detection> found;
    for (std::ptrdiff_t i = 0; i < priors; ++i) {
      const float score = s[2 * i + 1];
      if (score < kRfbMinScore) continue;
      const float x0 = std::clamp(b[4 * i], 0.f, 1.f) * roi.width + roi.x;
      const float y0 = std::clamp(b[4 * i + 1], 0.f, 1.f) * roi.height + roi.y;
      const float x1 = std::clamp(b[4 * i + 2], 0.f, 1.f) * roi.width + roi.x;
      const float y1 = std::clamp(b[4 * i + 3], 0.f, 1.f) * roi.height + roi.y;
      if (x1 - x0 < 2 || y1 - y0 < 2) continue;
      found.push_back({cv::Rect2f(x0, y0, x1 - x0, y1 - y0), score});
    }
    return found;
  }

  cv::dnn::Net net_;
  std::vector<uchar> model_bytes_;
};

// dlib's HOG + linear SVM frontal face detector (5 sliding-window filters). Faces below
// ~80 px need an upsampled image, which quadruples the cost: done only for small frames.
// dlib builds its frontal face detector from an entropy-coded string (~330 ms, once per
// process start); a plain serialized copy in the models cache loads in ~3 ms. The copy ends
// with a Hash64 of its bytes and is used only when that holds; otherwise it is rewritten.
dlib::frontal_face_detector load_frontal_face_detector(const std::string& cache_path) {
  dlib::frontal_face_detector detector;
  if (!cache_path.empty()) {
    std::ifstream in(cache_path, std::ios::binary | std::ios::ate);
    const std::streamoff size = in ? static_cast<std::streamoff>(in.tellg()) : 0;
    if (size > static_cast<std::streamoff>(sizeof(std::uint64_t))) {
      in.seekg(0);
      CacheReader r(in);
      std::string serialized(static_cast<size_t>(size) - sizeof(std::uint64_t), '\0');
      if (r.get(serialized.data(), serialized.size()) && r.checksum_matches()) {
        try {
          std::istringstream stream(serialized);
          dlib::deserialize(detector, stream);
          return detector;
        } catch (const std::exception&) {  // fall through: rebuild the copy
        }
      }
    }
  }
  detector = dlib::get_frontal_face_detector();
  if (!cache_path.empty()) {  // best effort: a read-only models folder only costs the slow path
    std::ostringstream serialized;
    dlib::serialize(detector, serialized);
    const std::string bytes = serialized.str();
    (void)write_cache_file(cache_path, [&](CacheWriter& w) { w.put(bytes.data(), bytes.size()); });
  }
  return detector;
}

class HogDetector final : public FaceDetector {
 public:
  explicit HogDetector(const std::string& cache_path)
      : detector_(load_frontal_face_detector(cache_path)) {}

  std::vector<Detection> detect(const cv::Mat& bgr, const DetectOptions& options) override {
    const bool upsample = options.find_small_faces && bgr.cols * bgr.rows <= 1280 * 960;
    cv::Mat input = bgr;
    double scale = 1;
    if (upsample) {
      cv::resize(bgr, input, cv::Size(), 2, 2, cv::INTER_LINEAR);
      scale = 2;
    }
    dlib::cv_image<dlib::bgr_pixel> image(input);
    std::vector<dlib::rect_detection> raw;
    detector_(image, raw, 0.0);
    std::vector<Detection> found;
    for (const auto& d : raw) {
      const auto& r = d.rect;
      found.push_back(
          {cv::Rect2f(r.left() / scale, r.top() / scale, r.width() / scale, r.height() / scale),
           static_cast<float>(d.detection_confidence), BoxStyle::kHog});
    }
    return suppress_overlaps(std::move(found), kNmsIou);
  }

  // A copy: dlib's detector holds its own scan buffers, so copies run on separate threads.
  std::unique_ptr<FaceDetector> clone() const override {
    return std::make_unique<HogDetector>(*this);
  }
  std::string name() const override { return "hog"; }

 private:
  dlib::frontal_face_detector detector_;
};

}  // namespace

std::vector<Detection> suppress_overlaps(std::vector<Detection> detections, float max_iou) {
  std::sort(detections.begin(), detections.end(),
            [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> kept;
  for (const auto& d : detections) {
    const bool overlaps = std::any_of(kept.begin(), kept.end(), [&](const Detection& k) {
      const float inter = (d.box & k.box).area();
      const float uni = d.box.area() + k.box.area() - inter;
      // Also drop a box mostly inside a kept one (tile pass vs full-frame pass).
      const float inside = inter / std::min(d.box.area(), k.box.area());
      return uni > 0 && (inter / uni > max_iou || inside > 0.8f);
    });
    if (!overlaps) kept.push_back(d);
  }
  return kept;
}

Result<FaceDetectorPtr> make_face_detector(const std::string& kind, const std::string& onnx_path,
                                           const std::string& hog_cache_path) {
  if (kind == "hog") return FaceDetectorPtr(std::make_unique<HogDetector>(hog_cache_path));
  if (kind != "cnn") {
    return make_error("invalid_config", "unknown face detector '" + kind + "' (cnn | hog)");
  }
  auto bytes = read_model_file(onnx_path);
  if (!bytes) return bytes.error();
  try {
    auto detector = std::make_unique<RfbDetector>(cv::dnn::readNetFromONNX(*bytes));
    detector->keep_model_bytes(std::move(*bytes));
    return FaceDetectorPtr(std::move(detector));
  } catch (const cv::Exception& e) {
    return make_error("models_unavailable", "cannot load " + onnx_path + ": " + e.what());
  }
}

}  // namespace faceid::face
