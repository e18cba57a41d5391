// Camera: frames for the command-line client from a webcam (an index or a /dev/video path,
// OpenCV's V4L2 backend) or a recorded clip (any file or URL OpenCV's FFmpeg backend reads),
// shaped as the sign-in page sends them (at most 640 px, JPEG). The OpenCV part is the module
// faceid_camera.so, loaded on first use (camera_backend.h); without it every call fails with
// "camera_unavailable".
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"

namespace faceid::cli::client {

// The capture timeline, the same as web/app.js: the first frames are not used (the person gets
// ready, the camera's exposure settles), then frontal frames the actions are measured against,
// then one slot per action. A clip is timed by its own frame rate, a live camera by the clock.
inline constexpr int kGetReadyMs = 1500;
inline constexpr int kBaselineMs = 600;
inline constexpr int kActionMs = 1400;
inline constexpr int kFrameMs = 110;  // ~9 frames per second
// A single photo is the sharpest frame of this window after the get-ready time.
inline constexpr int kPhotoWindowMs = 600;
inline constexpr int kMaxSide = 640;
inline constexpr int kJpegQuality = 85;

// The milliseconds of capture a challenge with `actions` takes after the get-ready time.
constexpr int challenge_capture_ms(std::size_t actions) {
  return kBaselineMs + kActionMs * static_cast<int>(actions);
}

// Called when the timeline enters a step: "frontal", then each action in turn.
using StepCallback = std::function<void(const std::string& step)>;

class Camera {
 public:
  // `source`: digits are a camera index; anything else a device path, a file or a URL.
  explicit Camera(std::string source) : source_(std::move(source)) {}

  const std::string& source() const { return source_; }

  // Opens the source and reads one frame, then lets it go: a missing camera or an unreadable
  // file fails with "camera_unavailable" before anything is asked of the server.
  Status check() const;

  // The frames of a challenge response for `actions`, in capture order, JPEG: one every
  // kFrameMs (or slower, so that at most `max_frames` fit the capture), "capture_too_short"
  // when fewer than `min_frames` came before the source ended.
  Result<std::vector<std::string>> record_challenge(const std::vector<std::string>& actions,
                                                    int min_frames, int max_frames,
                                                    const StepCallback& on_step) const;

  // One JPEG: the sharpest frame of kPhotoWindowMs after the get-ready time (the last frame
  // of a shorter clip).
  Result<std::string> take_photo() const;

 private:
  std::string source_;
};

}  // namespace faceid::cli::client
