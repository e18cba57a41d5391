// The face pipeline. One request holds one worker (its networks) from start to end;
// the shape predictor is shared read-only.
#include "face/dlib_face_engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "face/decode_gate.h"
#include "face/face_embedder.h"
#include "face/face_finder.h"
#include "face/image_decoder.h"
#include "face/library_threads.h"
#include "face/model_files.h"
#include "face/quality_gate.h"

namespace faceid::face {
namespace {

// Photos are analysed at most this big: detection and chips need no more, and a 40 MP
// camera photo would otherwise cost ~100 ms of resize/detection per step.
constexpr int kMaxAnalysisSide = 1600;
// analyze_single: a second face at least this fraction of the largest face's area makes
// the photo ambiguous (multiple_faces); smaller ones are bystanders in the background.
constexpr double kSecondFaceAreaRatio = 0.4;
// A second face in a login photo makes it ambiguous only when it is surely a face: RFB-320
// scores every real face of testdata >= 0.99 but also fires at 0.91-0.98 on a painted
// landscape and on a suit in re-framed press photos (face_drift_test). Below this score a
// second face counts only when the other detector (HOG) confirms it.
constexpr float kSureFaceScore = 0.99f;
// HOG confirmation looks at the candidate rescaled so its box is this wide (HOG's window
// is 80 px; it upsamples small crops once more).
constexpr double kConfirmFacePx = 100;
// The landmark fit starts from the box the 68-point predictor was trained on: dlib's HOG box.
// For an RFB-320 detection, HOG looks at the face rescaled so that the RFB box is this wide
// (HOG's window is 80 px; its boxes are ~1.1 RFB widths), in a crop of this many box sides.
constexpr double kHogStartFacePx = 100;
constexpr float kHogStartCropSides = 2.0f;
// A HOG box is the same face when its centre lies in the RFB box and its side is within
// these multiples of the RFB width (HOG boxes measure ~1.1).
constexpr float kHogMinSide = 0.6f;
constexpr float kHogMaxSide = 1.8f;
// analyze_all analyses at most this many faces (largest first): bounds the CPU one request
// can take (each face costs ~25 ms of landmarks + embedding).
constexpr size_t kMaxFacesPerImage = 64;
// Liveness crop, calibrated on testdata/liveness (docs/models.md).
constexpr MiniFasNetCrop kLivenessCrop{1.5, false};

double area(const Detection& d) { return static_cast<double>(d.box.width) * d.box.height; }

FaceBox to_face_box(const cv::Rect2f& r, float score, double scale, cv::Point offset) {
  FaceBox b;
  b.x = static_cast<int>(std::lround((r.x - offset.x) * scale));
  b.y = static_cast<int>(std::lround((r.y - offset.y) * scale));
  b.width = static_cast<int>(std::lround(r.width * scale));
  b.height = static_cast<int>(std::lround(r.height * scale));
  b.score = score;
  return b;
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

}  // namespace

DlibFaceEngine::DlibFaceEngine(EngineOptions options, std::unique_ptr<FaceAligner> aligner,
                               std::vector<std::unique_ptr<EngineWorker>> workers)
    : options_(std::move(options)), aligner_(std::move(aligner)), pool_(std::move(workers)) {}

Result<DlibFaceEngine::Frame> DlibFaceEngine::decode(std::string_view bytes) const {
  DecodeLimits limits = decode_limits(options_);
  limits.min_long_side = kMaxAnalysisSide;
  auto decoded = options_.decode_gate ? options_.decode_gate->decode(bytes, limits)
                                      : decode_image(bytes, limits);
  if (!decoded) return decoded.error();
  Frame frame;
  frame.image = std::move(decoded->bgr);
  const int long_side = std::max(frame.image.cols, frame.image.rows);
  if (long_side > kMaxAnalysisSide) {
    const double f = static_cast<double>(kMaxAnalysisSide) / long_side;
    cv::Mat small;
    cv::resize(frame.image, small, cv::Size(), f, f, cv::INTER_AREA);
    frame.image = std::move(small);
  }
  // Boxes are reported in pixels of the original (oriented, full-resolution) image.
  frame.scale =
      static_cast<double>(std::max(decoded->original_size.width, decoded->original_size.height)) /
      std::max(frame.image.cols, frame.image.rows);
  return frame;
}

std::vector<Detection> DlibFaceEngine::find(EngineWorker& worker, Frame& frame,
                                            bool find_small) const {
  FoundFaces found =
      find_faces(frame.image, *worker.detector, worker.fallback_detector.get(), find_small);
  frame.image = std::move(found.image);
  frame.offset = found.offset;
  return std::move(found.faces);
}

bool DlibFaceEngine::confirmed(EngineWorker& worker, const Frame& frame,
                               const Detection& candidate) const {
  if (candidate.style != BoxStyle::kRfb || candidate.score >= kSureFaceScore) return true;
  if (!worker.fallback_detector) return true;
  const cv::Rect2f& b = candidate.box;
  const cv::Rect around = cv::Rect(cvRound(b.x - b.width / 2), cvRound(b.y - b.height / 2),
                                   cvRound(b.width * 2), cvRound(b.height * 2)) &
                          cv::Rect(0, 0, frame.image.cols, frame.image.rows);
  if (around.empty()) return false;
  cv::Mat crop;
  const double f = kConfirmFacePx / std::max(1.f, b.width);
  cv::resize(frame.image(around), crop, cv::Size(), f, f,
             f < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  return !worker.fallback_detector->detect(crop, {true}).empty();
}

std::vector<Detection> DlibFaceEngine::liveness_boxes(EngineWorker& worker, const Frame& frame,
                                                      const AnalyzeOptions& options,
                                                      bool find_small) const {
  if (!options.liveness || !worker.liveness_detector) return {};
  return worker.liveness_detector->detect(frame.image, {find_small});
}

std::optional<cv::Rect2f> DlibFaceEngine::hog_start_box(EngineWorker& worker, const Frame& frame,
                                                        const Detection& detection) const {
  if (detection.style == BoxStyle::kHog || !worker.fallback_detector) return std::nullopt;
  const cv::Rect2f& b = detection.box;
  const float side = std::max(b.width, b.height) * kHogStartCropSides;
  const cv::Rect around =
      cv::Rect(cvRound(b.x + b.width / 2 - side / 2), cvRound(b.y + b.height / 2 - side / 2),
               cvRound(side), cvRound(side)) &
      cv::Rect(0, 0, frame.image.cols, frame.image.rows);
  if (around.width < 8 || around.height < 8) return std::nullopt;
  const double f = kHogStartFacePx / std::max(1.f, b.width);
  cv::Mat crop;
  cv::resize(frame.image(around), crop, cv::Size(), f, f,
             f < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  const cv::Rect2f expected = predictor_box_from_rfb(b);
  const cv::Point2f want(expected.x + expected.width / 2, expected.y + expected.height / 2);
  // The same face: a HOG box centred inside the RFB box, of a plausible size; the nearest to
  // where the predictor-style box would be. Turned heads often need HOG's upsampled pass.
  for (bool upsample : {false, true}) {
    std::optional<cv::Rect2f> best;
    float best_d = std::numeric_limits<float>::max();
    for (const Detection& h : worker.fallback_detector->detect(crop, {upsample})) {
      const cv::Rect2f r(around.x + h.box.x / f, around.y + h.box.y / f, h.box.width / f,
                         h.box.height / f);
      const cv::Point2f c(r.x + r.width / 2, r.y + r.height / 2);
      if (!b.contains(c) || r.width < kHogMinSide * b.width || r.width > kHogMaxSide * b.width) {
        continue;
      }
      const float d = static_cast<float>(cv::norm(c - want));
      if (d < best_d) best_d = d, best = r;
    }
    if (best) return best;
  }
  return std::nullopt;
}

namespace {

// The liveness crop was calibrated on RFB-320 boxes. With the HOG detector, use the RFB box
// of the same face when RFB-320 sees it, else the HOG box mapped to RFB proportions.
cv::Rect2f liveness_box(const Detection& detection, const std::vector<Detection>& rfb_boxes) {
  if (detection.style == BoxStyle::kRfb) return detection.box;
  const Detection* best = nullptr;
  float best_overlap = 0;
  for (const auto& r : rfb_boxes) {
    const float overlap =
        (r.box & detection.box).area() / std::min(r.box.area(), detection.box.area());
    if (overlap > best_overlap) best_overlap = overlap, best = &r;
  }
  return best && best_overlap > 0.5f ? best->box : rfb_box_from_hog(detection.box);
}

}  // namespace

FaceResult DlibFaceEngine::analyze_face(EngineWorker& worker, const Frame& frame,
                                        const Detection& detection, const AnalyzeOptions& options,
                                        const std::vector<Detection>& rfb_boxes,
                                        FaceChip* chip_out) const {
  Landmarks detector_fit{};
  // Video frames of a challenge keep the refitted landmarks its checks were calibrated on
  // (docs/liveness.md): from HOG's box, turned webcam frames drifted past the identity check.
  const std::optional<cv::Rect2f> hog_box =
      options.video_frame ? std::nullopt : hog_start_box(worker, frame, detection);
  const Landmarks landmarks =
      hog_box ? aligner_->fit(frame.image, *hog_box, BoxStyle::kHog, &detector_fit, true)
              : aligner_->fit(frame.image, detection.box, detection.style, &detector_fit);
  if (hog_box) {
    // The liveness geometry stays calibrated on the detector's own first fit.
    detector_fit = aligner_->landmarks(frame.image, detection.box, detection.style);
  }
  *chip_out = aligner_->chip(frame.image, landmarks);
  FaceResult face;
  face.box = to_face_box(detection.box, detection.score, frame.scale, frame.offset);
  for (size_t i = 0; i < landmarks.size(); ++i) {
    face.landmarks[i] = {static_cast<float>((detector_fit[i].x - frame.offset.x) * frame.scale),
                         static_cast<float>((detector_fit[i].y - frame.offset.y) * frame.scale)};
  }
  const double face_px = std::min(detection.box.width, detection.box.height) * frame.scale;
  const cv::Size unpadded(frame.image.cols - 2 * frame.offset.x,
                          frame.image.rows - 2 * frame.offset.y);
  face.quality = assess_quality(*chip_out, landmarks, unpadded, face_px, options_.quality);
  if (options.liveness) {
    face.liveness = worker.liveness->score(frame.image, liveness_box(detection, rfb_boxes));
  }
  return face;
}

Result<FaceResult> DlibFaceEngine::analyze_single(std::string_view image_bytes,
                                                  const AnalyzeOptions& options) {
  auto frame = decode(image_bytes);
  if (!frame) return frame.error();
  auto worker = pool_.acquire();
  std::vector<Detection> found = find(*worker, *frame, false);
  if (found.empty()) return make_error("no_face_detected", "no face found in the image");
  std::sort(found.begin(), found.end(),
            [](const Detection& a, const Detection& b) { return area(a) > area(b); });
  for (size_t i = 1; i < found.size(); ++i) {
    if (area(found[i]) < kSecondFaceAreaRatio * area(found[0])) break;
    if (confirmed(*worker, *frame, found[i])) {
      return make_error("multiple_faces", "more than one face in the image",
                        {std::to_string(found.size()) + " faces"});
    }
  }
  FaceChip chip;
  FaceResult face = analyze_face(*worker, *frame, found[0], options,
                                 liveness_boxes(*worker, *frame, options, false), &chip);
  if (options.enforce_quality && !face.quality.passed) {
    return make_error("poor_image_quality", "the face image is not good enough",
                      face.quality.failures);
  }
  face.embedding = worker->embedder->embed(chip);
  return face;
}

Result<std::vector<FaceResult>> DlibFaceEngine::analyze_all(std::string_view image_bytes,
                                                            const AnalyzeOptions& options) {
  auto frame = decode(image_bytes);
  if (!frame) return frame.error();
  auto worker = pool_.acquire();
  std::vector<Detection> found = find(*worker, *frame, true);
  std::sort(found.begin(), found.end(),
            [](const Detection& a, const Detection& b) { return area(a) > area(b); });
  if (found.size() > kMaxFacesPerImage) found.resize(kMaxFacesPerImage);
  std::vector<FaceResult> faces;
  std::vector<FaceChip> chips(found.size());
  const std::vector<Detection> rfb_boxes = liveness_boxes(*worker, *frame, options, true);
  for (size_t i = 0; i < found.size(); ++i) {
    faces.push_back(analyze_face(*worker, *frame, found[i], options, rfb_boxes, &chips[i]));
  }
  const std::vector<Embedding> embeddings = worker->embedder->embed_batch(chips);
  for (size_t i = 0; i < faces.size(); ++i) faces[i].embedding = embeddings[i];
  return faces;
}

Status ensure_resnet_cache(const std::string& models_dir, bool* converted) {
  const ModelFiles files = locate_model_files(models_dir);
  *converted = false;
  if (file_exists(files.resnet_dat)) return Status::Ok();
  if (!file_exists(files.tfjs_manifest)) {
    return make_error("models_unavailable",
                      "missing model file " + files.tfjs_manifest + " (run scripts/setup.sh)");
  }
  if (auto s = convert_tfjs_to_dlib(files.tfjs_manifest, files.resnet_dat); !s) return s;
  *converted = true;
  return Status::Ok();
}

Result<FaceEnginePtr> load_face_engine_timed(const EngineOptions& options,
                                             EngineLoadReport* report) {
  auto step = [&](const char* what, auto start) {
    if (report) report->steps_ms.emplace_back(what, elapsed_ms(start));
  };
  limit_library_threads(options.library_threads);
  auto t = std::chrono::steady_clock::now();
  bool converted = false;
  if (auto s = ensure_resnet_cache(options.models_dir, &converted); !s) return s.error();
  if (converted) step("convert tfjs weights to dlib .dat", t);
  const ModelFiles files = locate_model_files(options.models_dir);

  t = std::chrono::steady_clock::now();
  auto dlib_embedder = FaceEmbedder::load(files.resnet_dat);
  if (!dlib_embedder) return dlib_embedder.error();
  auto embedder = DnnEmbedder::create((*dlib_embedder)->weights(), options.library_threads);
  if (!embedder) return embedder.error();
  step("ResNet embedder (dlib .dat, run by oneDNN)", t);

  t = std::chrono::steady_clock::now();
  auto aligner = FaceAligner::load(files.shape_predictor, files.shape_predictor_cache);
  if (!aligner) return aligner.error();
  step("68-point shape predictor", t);

  t = std::chrono::steady_clock::now();
  auto detector =
      make_face_detector(options.detector, files.rfb_detector, files.hog_detector_cache);
  if (!detector) return detector.error();
  step(options.detector == "hog" ? "HOG detector" : "RFB-320 detector (onnx)", t);

  auto fallback = make_face_detector(options.detector == "hog" ? "cnn" : "hog", files.rfb_detector,
                                     files.hog_detector_cache);
  if (!fallback) return fallback.error();

  FaceDetectorPtr liveness_detector;
  if (options.detector == "hog") {
    auto rfb = make_face_detector("cnn", files.rfb_detector);
    if (!rfb) return rfb.error();
    liveness_detector = std::move(*rfb);
  }

  t = std::chrono::steady_clock::now();
  auto liveness = make_minifasnet_scorer(files.liveness, kLivenessCrop);
  if (!liveness) return liveness.error();
  step("MiniFASNet liveness (onnx)", t);

  t = std::chrono::steady_clock::now();
  const int n = std::max(1, options.workers);
  std::vector<std::unique_ptr<EngineWorker>> workers;
  for (int i = 0; i < n; ++i) {
    auto w = std::make_unique<EngineWorker>();
    const bool last = i == n - 1;
    w->detector = last ? std::move(*detector) : (*detector)->clone();
    w->embedder = last ? std::move(*embedder) : (*embedder)->clone();
    w->liveness = last ? std::move(*liveness) : (*liveness)->clone();
    w->fallback_detector = last ? std::move(*fallback) : (*fallback)->clone();
    if (liveness_detector) {
      // Moved from only in the last pass, after every clone.
      // NOLINTNEXTLINE(bugprone-use-after-move)
      w->liveness_detector = last ? std::move(liveness_detector) : liveness_detector->clone();
    }
    workers.push_back(std::move(w));
  }
  step("worker pool copies", t);
  return FaceEnginePtr(
      std::make_unique<DlibFaceEngine>(options, std::move(*aligner), std::move(workers)));
}

Result<FaceEnginePtr> load_face_engine(const EngineOptions& options) {
  return load_face_engine_timed(options, nullptr);
}

float embedding_distance(const Embedding& a, const Embedding& b) {
  double sum = 0;
  for (int i = 0; i < kEmbeddingDim; ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    sum += d * d;
  }
  return static_cast<float>(std::sqrt(sum));
}

}  // namespace faceid::face
