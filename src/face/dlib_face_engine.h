// DlibFaceEngine: the FaceEngine implementation. decode -> (downscale) -> detect ->
// landmarks -> chip -> quality -> liveness -> embedding. Immutable shared models (shape
// predictor, options) plus a WorkerPool of per-thread networks sized by EngineOptions::workers.
#pragma once

#include <memory>
#include <opencv2/core/mat.hpp>
#include <optional>
#include <string>
#include <vector>

#include "face/dnn_embedder.h"
#include "face/engine_loader.h"
#include "face/face_aligner.h"
#include "face/face_detector.h"
#include "face/face_engine.h"
#include "face/liveness_scorer.h"
#include "face/worker_pool.h"

namespace faceid::face {

// One worker's networks.
struct EngineWorker {
  FaceDetectorPtr detector;
  std::unique_ptr<DnnEmbedder> embedder;
  LivenessScorerPtr liveness;
  // With the HOG detector: an RFB-320 net that supplies the boxes the liveness crop was
  // calibrated on (null when the detector already is RFB-320).
  FaceDetectorPtr liveness_detector;
  // The other detector kind, tried when the configured one finds nothing (face_finder.h).
  FaceDetectorPtr fallback_detector;
};

class DlibFaceEngine final : public FaceEngine {
 public:
  DlibFaceEngine(EngineOptions options, std::unique_ptr<FaceAligner> aligner,
                 std::vector<std::unique_ptr<EngineWorker>> workers);

  Result<FaceResult> analyze_single(std::string_view image_bytes,
                                    const AnalyzeOptions& options) override;
  Result<std::vector<FaceResult>> analyze_all(std::string_view image_bytes,
                                              const AnalyzeOptions& options) override;
  std::string model_version() const override { return kDefaultModelVersion; }

 private:
  struct Frame {
    cv::Mat image;     // decoded, oriented, at most kMaxAnalysisSide on the long side
    double scale = 1;  // original pixels per analysed pixel
    // Padding added around the decoded frame (face_finder.h): image(offset) is its (0,0).
    cv::Point offset{0, 0};
  };
  // Detects with find_faces and adopts its (possibly padded) image into `frame`.
  std::vector<Detection> find(EngineWorker& worker, Frame& frame, bool find_small) const;
  // Whether a second detection is surely a face (see kSureFaceScore).
  bool confirmed(EngineWorker& worker, const Frame& frame, const Detection& candidate) const;
  Result<Frame> decode(std::string_view bytes) const;
  // The HOG box of an RFB-320 detection (the box the landmark predictor was trained on), when
  // dlib's HOG detector sees the same face.
  std::optional<cv::Rect2f> hog_start_box(EngineWorker& worker, const Frame& frame,
                                          const Detection& detection) const;
  // liveness_boxes: RFB-320 detections of the frame, when the detector is HOG.
  FaceResult analyze_face(EngineWorker& worker, const Frame& frame, const Detection& detection,
                          const AnalyzeOptions& options,
                          const std::vector<Detection>& liveness_boxes, FaceChip* chip_out) const;
  std::vector<Detection> liveness_boxes(EngineWorker& worker, const Frame& frame,
                                        const AnalyzeOptions& options, bool find_small) const;

  const EngineOptions options_;
  const std::unique_ptr<FaceAligner> aligner_;  // shared, read-only
  WorkerPool<EngineWorker> pool_;
};

}  // namespace faceid::face
