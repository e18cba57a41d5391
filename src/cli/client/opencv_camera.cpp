// The camera module (faceid_camera.so, camera_backend.h): OpenCV VideoCapture behind Camera.
// Devices go through V4L2 (OpenCV would try GStreamer
// first, which is slower to start and noisier when there is no camera); files and URLs through
// FFmpeg. A clip is timed by its frame numbers, so a recording plays the same timeline as a
// person in front of a webcam, however fast it decodes.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <system_error>

#include "cli/client/camera_backend.h"

namespace faceid::cli::client {
namespace {

namespace fs = std::filesystem;

// A clip whose container gives no usable rate is read as this many frames per second.
constexpr double kDefaultClipFps = 30;
// A live camera that returns no frame for this long is treated as gone.
constexpr int kMaxFailedReads = 30;

bool is_index(const std::string& s) {
  return !s.empty() && s.size() <= 3 && std::all_of(s.begin(), s.end(), ::isdigit);
}

bool is_device(const std::string& s) { return is_index(s) || s.rfind("/dev/", 0) == 0; }

bool any_video_device() {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/dev", ec)) {
    if (e.path().filename().string().rfind("video", 0) == 0) return true;
  }
  return false;
}

Error unavailable(const std::string& source) {
  if (is_index(source) && !any_video_device()) {
    return make_error("camera_unavailable",
                      "no camera found (no /dev/video* device); pass --camera with a device "
                      "path or a video file");
  }
  if (!is_device(source)) {
    std::error_code ec;
    if (!fs::exists(source, ec) && source.find("://") == std::string::npos) {
      return make_error("camera_unavailable", "no such video file: " + source);
    }
    return make_error("camera_unavailable", "cannot read video from " + source +
                                                " (not a video OpenCV's FFmpeg backend reads)");
  }
  return make_error("camera_unavailable", "cannot open camera " + source);
}

// Frames of one opened source, each with its time in milliseconds since the first frame.
class FrameSource {
 public:
  explicit FrameSource(const std::string& source) : live_(is_device(source)) {
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
    if (is_index(source)) {
      cap_.open(std::stoi(source), cv::CAP_V4L2);
    } else {
      cap_.open(source, live_ ? cv::CAP_V4L2 : cv::CAP_FFMPEG);
    }
    if (!cap_.isOpened()) return;
    if (live_) {  // what the page asks getUserMedia for; the camera may give another size
      cap_.set(cv::CAP_PROP_FRAME_WIDTH, 640);
      cap_.set(cv::CAP_PROP_FRAME_HEIGHT, 480);
    } else {
      double fps = cap_.get(cv::CAP_PROP_FPS);
      fps_ = fps > 0 && fps < 1000 ? fps : kDefaultClipFps;
    }
  }

  bool opened() const { return cap_.isOpened(); }

  // False at the end of a clip or when a camera stops giving frames.
  bool next(cv::Mat& frame, double& t_ms) {
    for (int failed = 0; !cap_.read(frame) || frame.empty(); ++failed) {
      if (!live_ || failed >= kMaxFailedReads) return false;
    }
    auto now = std::chrono::steady_clock::now();
    if (count_ == 0) start_ = now;
    t_ms = live_ ? std::chrono::duration<double, std::milli>(now - start_).count()
                 : static_cast<double>(count_) * 1000.0 / fps_;
    ++count_;
    return true;
  }

 private:
  cv::VideoCapture cap_;
  bool live_;
  double fps_ = kDefaultClipFps;
  long count_ = 0;
  std::chrono::steady_clock::time_point start_;
};

// At most kMaxSide pixels on the long side, JPEG at the page's quality.
std::string encode(const cv::Mat& frame) {
  cv::Mat out = frame;
  int side = std::max(frame.cols, frame.rows);
  if (side > kMaxSide) {
    double s = static_cast<double>(kMaxSide) / side;
    cv::resize(frame, out, cv::Size(), s, s, cv::INTER_AREA);
  }
  std::vector<unsigned char> jpeg;
  cv::imencode(".jpg", out, jpeg, {cv::IMWRITE_JPEG_QUALITY, kJpegQuality});
  return std::string(jpeg.begin(), jpeg.end());
}

// Variance of the Laplacian: higher is sharper (a moving or out-of-focus frame is lower).
double sharpness(const cv::Mat& frame) {
  cv::Mat gray = frame, lap;
  if (frame.channels() == 3) cv::cvtColor(frame, gray, cv::COLOR_BGR2GRAY);
  cv::Laplacian(gray, lap, CV_64F);
  cv::Scalar mean, stddev;
  cv::meanStdDev(lap, mean, stddev);
  return stddev[0] * stddev[0];
}

class OpenCvCamera final : public CameraBackend {
 public:
  Status check(const std::string& source) const override;
  Result<std::vector<std::string>> record_challenge(const std::string& source,
                                                    const std::vector<std::string>& actions,
                                                    int min_frames, int max_frames,
                                                    const StepCallback& on_step) const override;
  Result<std::string> take_photo(const std::string& source) const override;
};

Status OpenCvCamera::check(const std::string& source) const {
  FrameSource src(source);
  cv::Mat frame;
  double t = 0;
  if (!src.opened() || !src.next(frame, t)) return unavailable(source);
  return {};
}

Result<std::vector<std::string>> OpenCvCamera::record_challenge(
    const std::string& source, const std::vector<std::string>& actions, int min_frames,
    int max_frames, const StepCallback& on_step) const {
  FrameSource src(source);
  if (!src.opened()) return unavailable(source);
  const int total = challenge_capture_ms(actions.size());
  // As the page: ~9 per second, spread wider when max_frames would not cover the capture.
  const double interval = std::max<double>(
      kFrameMs, std::ceil(static_cast<double>(total) / std::max(1, max_frames - 1)));
  std::vector<std::string> frames;
  int step = -2;
  cv::Mat frame;
  double t = 0;
  while (src.next(frame, t)) {
    const double elapsed = t - kGetReadyMs;
    if (elapsed < 0) continue;
    if (elapsed > total || static_cast<int>(frames.size()) >= max_frames) break;
    if (elapsed < frames.size() * interval) continue;
    int now = elapsed < kBaselineMs ? -1 : static_cast<int>((elapsed - kBaselineMs) / kActionMs);
    now = std::min(now, static_cast<int>(actions.size()) - 1);
    if (now != step && on_step) on_step(now < 0 ? "frontal" : actions[now]);
    step = now;
    frames.push_back(encode(frame));
  }
  if (static_cast<int>(frames.size()) < std::max(1, min_frames)) {
    char text[160];
    std::snprintf(text, sizeof text,
                  "the camera gave %zu frames for the challenge, which needs at least %d "
                  "(a clip must last %.1f s)",
                  frames.size(), min_frames, (kGetReadyMs + total) / 1000.0);
    return make_error("capture_too_short", text);
  }
  return frames;
}

Result<std::string> OpenCvCamera::take_photo(const std::string& source) const {
  FrameSource src(source);
  if (!src.opened()) return unavailable(source);
  cv::Mat frame, best;
  double best_sharpness = -1;
  double t = 0;
  while (src.next(frame, t)) {
    if (t > kGetReadyMs + kPhotoWindowMs && !best.empty()) break;
    if (t < kGetReadyMs) {
      best = frame.clone();  // the last frame so far: all a shorter clip has
      continue;
    }
    double s = sharpness(frame);
    if (best_sharpness < 0 || s > best_sharpness) {
      best_sharpness = s;
      best = frame.clone();
    }
  }
  if (best.empty()) return unavailable(source);
  return encode(best);
}

}  // namespace
}  // namespace faceid::cli::client

extern "C" __attribute__((visibility("default"))) const faceid::cli::client::CameraBackend*
faceid_camera_backend(int version) {
  static const faceid::cli::client::OpenCvCamera camera;
  return version == faceid::cli::client::kCameraBackendVersion ? &camera : nullptr;
}
