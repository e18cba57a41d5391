// MiniFASNet passive liveness. The input is a 128x128 BGR crop, raw 0..255 (no
// normalisation). The crop follows Silent-Face-Anti-Spoofing's _get_new_box: the face box
// enlarged by `scale` around its centre, the scale reduced when the enlarged box would not
// fit in the photo, then shifted inside it. The live probability is the softmax of the
// logits at index kLiveIndex.
#include "face/liveness_scorer.h"

#include <algorithm>
#include <cmath>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "face/face_aligner.h"
#include "face/model_files.h"

namespace faceid::face {
namespace {

constexpr int kInputSize = 128;
constexpr int kLiveIndex = 0;

cv::Rect crop_box(const cv::Mat& image, const cv::Rect2f& box, double wanted_scale) {
  const double w = std::max(1.0f, box.width), h = std::max(1.0f, box.height);
  const double scale = std::min({(image.rows - 1) / h, (image.cols - 1) / w, wanted_scale});
  const double cw = w * scale, ch = h * scale;
  const double cx = box.x + w / 2, cy = box.y + h / 2;
  double x0 = cx - cw / 2, y0 = cy - ch / 2;
  x0 = std::clamp(x0, 0.0, image.cols - cw);
  y0 = std::clamp(y0, 0.0, image.rows - ch);
  cv::Rect r(static_cast<int>(std::lround(x0)), static_cast<int>(std::lround(y0)),
             std::max(1, static_cast<int>(std::lround(cw))),
             std::max(1, static_cast<int>(std::lround(ch))));
  return r & cv::Rect(0, 0, image.cols, image.rows);
}

class MiniFasNetScorer final : public LivenessScorer {
 public:
  MiniFasNetScorer(std::vector<unsigned char> model, MiniFasNetCrop crop)
      : model_(std::move(model)), crop_(crop), net_(cv::dnn::readNetFromONNX(model_)) {}

  double score(const cv::Mat& bgr, const cv::Rect2f& face_box) override {
    const cv::Rect2f box = crop_.predictor_box ? predictor_box_from_rfb(face_box) : face_box;
    const cv::Rect roi = crop_box(bgr, box, crop_.scale);
    if (roi.area() <= 0) return 0;
    const cv::Mat blob = cv::dnn::blobFromImage(bgr(roi), 1.0, cv::Size(kInputSize, kInputSize),
                                                cv::Scalar(), /*swapRB=*/false);
    net_.setInput(blob);
    const cv::Mat out = net_.forward();
    const auto* logits = out.ptr<float>();
    const int n = static_cast<int>(out.total());
    const float top = *std::max_element(logits, logits + n);
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += std::exp(logits[i] - top);
    return std::exp(logits[kLiveIndex] - top) / sum;
  }

  std::unique_ptr<LivenessScorer> clone() const override {
    return std::make_unique<MiniFasNetScorer>(model_, crop_);
  }

 private:
  std::vector<unsigned char> model_;
  MiniFasNetCrop crop_;
  cv::dnn::Net net_;
};

}  // namespace

Result<LivenessScorerPtr> make_minifasnet_scorer(const std::string& onnx_path,
                                                 const MiniFasNetCrop& crop) {
  auto bytes = read_model_file(onnx_path);
  if (!bytes) return bytes.error();
  try {
    return LivenessScorerPtr(std::make_unique<MiniFasNetScorer>(std::move(*bytes), crop));
  } catch (const cv::Exception& e) {
    return make_error("models_unavailable", "cannot load " + onnx_path + ": " + e.what());
  }
}

}  // namespace faceid::face
