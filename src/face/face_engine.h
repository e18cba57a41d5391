// FaceEngine: the one seam between the service and the face models. Turns untrusted image
// bytes into faces (box, quality, liveness, 128-d embedding). Implementations are
// thread-safe: any request thread may call analyze_* concurrently.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "face/decode_limits.h"

namespace faceid::face {

class DecodeGate;

inline constexpr int kEmbeddingDim = 128;
// The shipped embedder's model_version (templates, calibration tables are tagged with it).
inline constexpr const char* kDefaultModelVersion = "dlib-resnet-v1";
using Embedding = std::array<float, kEmbeddingDim>;

// Error codes produced by the engine (Error::code), mapped 1:1 to API errors:
//   unsupported_image (415), invalid_image (400), image_too_large (413),
//   no_face_detected (400), multiple_faces (400), poor_image_quality (400, details = reasons),
//   server_busy (503, Retry-After: no decode slot freed in time; see DecodeGate).

struct FaceBox {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  float score = 0;  // detector confidence
};

struct QualityReport {
  bool passed = true;
  std::vector<std::string> failures;  // e.g. "face_too_small", "blurry", "too_dark"
  double face_size_px = 0;
  double sharpness = 0;   // variance of Laplacian on the aligned chip
  double brightness = 0;  // mean luma of the chip, 0..255
  double yaw_deg = 0;
  double pitch_deg = 0;
};

// One of the 68 landmarks (iBUG 300-W order), in pixels of the original, oriented image.
struct LandmarkPoint {
  float x = 0;
  float y = 0;
};
inline constexpr int kLandmarkCount = 68;
using FaceLandmarks = std::array<LandmarkPoint, kLandmarkCount>;

struct FaceResult {
  FaceBox box;
  QualityReport quality;           // yaw_deg / pitch_deg: head pose from the landmarks
  std::optional<double> liveness;  // live probability in [0,1] when requested
  Embedding embedding{};
  // What the active liveness challenge reads per frame: landmark geometry (pose changes,
  // eye aspect ratio, the "not flat" test).
  FaceLandmarks landmarks{};
};

struct AnalyzeOptions {
  bool liveness = false;        // compute the passive liveness score
  bool enforce_quality = true;  // fail with poor_image_quality when the gate fails
  // A frame of a liveness challenge: landmarks refitted from the detector's box, as the
  // challenge's geometry and identity checks were calibrated. Photos start the landmark fit
  // from dlib's HOG box and keep it (closer to the reference pipeline on LFW).
  bool video_frame = false;
};

class FaceEngine {
 public:
  virtual ~FaceEngine() = default;

  // Exactly one dominant face (registration, login), else an Error (codes above).
  virtual Result<FaceResult> analyze_single(std::string_view image_bytes,
                                            const AnalyzeOptions& options) = 0;

  // Every face found, largest first (CLI, group photos). Quality is reported, not enforced.
  virtual Result<std::vector<FaceResult>> analyze_all(std::string_view image_bytes,
                                                      const AnalyzeOptions& options) = 0;

  // Stored with every template, e.g. "dlib-resnet-v1".
  virtual std::string model_version() const = 0;
};

using FaceEnginePtr = std::unique_ptr<FaceEngine>;

// Quality gate thresholds, read off LFW (bench/accuracy, docs/accuracy.md): a photo is refused
// only where the genuine error rate measurably grows. Sharpness below 10 doubles the FNMR
// (11 % against 4-5 %; below 5: every pair missed); yaw up to 60 degrees does not raise it.
struct QualityThresholds {
  double min_face_px = 40;     // shorter side of the detector box, original image pixels
  double min_sharpness = 10;   // variance of Laplacian on the inner 90x90 of the grey chip
  double min_brightness = 40;  // mean luma of the chip
  double max_brightness = 220;
  double max_abs_yaw_deg = 60;
  double max_abs_pitch_deg = 40;
};

struct EngineOptions {
  std::string models_dir = "models";
  std::string detector = "cnn";  // cnn (RFB-320 ONNX) | hog (dlib)
  int workers = 2;               // network instances in the pool
  long long max_image_bytes = 10LL << 20;
  long long max_image_pixels = 40'000'000;  // checked from the header, before decoding
  // Larger images are decoded scaled down to this many pixels (image_decoder.h); 0: no cap.
  long long max_decoded_pixels = 0;
  // The process's cap on decodes running at once, shared with the liveness verifier; null:
  // decodes are not gated (CLI, tests).
  std::shared_ptr<DecodeGate> decode_gate;
  QualityThresholds quality;
  // > 0: cap OpenCV/OpenBLAS threads per call (the service uses 1: its parallelism comes
  // from concurrent requests); 0 leaves the libraries' defaults (fastest for one image).
  int library_threads = 0;
};

// What one decode of an uploaded image may cost under these options (the engine's decodes and
// the liveness verifier's frames alike).
inline DecodeLimits decode_limits(const EngineOptions& o) {
  DecodeLimits limits;
  limits.max_bytes = o.max_image_bytes;
  limits.max_pixels = o.max_image_pixels;
  limits.max_decoded_pixels = o.max_decoded_pixels;
  return limits;
}

// Loads every model once; fails with code "models_unavailable" naming the missing file.
Result<FaceEnginePtr> load_face_engine(const EngineOptions& options);

// Euclidean distance (dlib / face_recognition convention; 0.6 = default tolerance).
float embedding_distance(const Embedding& a, const Embedding& b);

}  // namespace faceid::face
