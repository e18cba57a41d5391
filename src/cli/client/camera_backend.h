// CameraBackend: the seam between `faceid client` and OpenCV's video I/O. OpenCV's videoio
// brings FFmpeg, GStreamer, libdc1394 and gPhoto2 with it (the binary would load 261 shared
// libraries instead of 77, +0.15 s and +50 MB at every start, also for `faceid serve`), so the
// OpenCV implementation is a module, faceid_camera.so, that the client loads with dlopen
// only when --camera is used. Module and binary are built together from one tree.
#pragma once

#include <string>
#include <vector>

#include "cli/client/camera.h"

namespace faceid::cli::client {

class CameraBackend {
 public:
  virtual ~CameraBackend() = default;
  virtual Status check(const std::string& source) const = 0;
  virtual Result<std::vector<std::string>> record_challenge(const std::string& source,
                                                            const std::vector<std::string>& actions,
                                                            int min_frames, int max_frames,
                                                            const StepCallback& on_step) const = 0;
  virtual Result<std::string> take_photo(const std::string& source) const = 0;
};

// Bumped whenever CameraBackend changes, so a stale module is refused, not called.
inline constexpr int kCameraBackendVersion = 1;
inline constexpr const char* kCameraModuleFile = "faceid_camera.so";
inline constexpr const char* kCameraEntryPoint = "faceid_camera_backend";

}  // namespace faceid::cli::client

// The module's one exported symbol: its backend (owned by the module), or null when `version`
// is not the one it was built with.
extern "C" const faceid::cli::client::CameraBackend* faceid_camera_backend(int version);
