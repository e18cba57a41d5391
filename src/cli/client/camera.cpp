// Camera forwards to the OpenCV backend in faceid_camera.so, found beside the binary (the
// build tree) or in ../lib/faceid (an installed layout); FACEID_CAMERA_MODULE names another.
// The module is loaded once and stays loaded for the process.
#include "cli/client/camera.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "cli/client/camera_backend.h"

namespace faceid::cli::client {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> module_candidates() {
  if (const char* p = std::getenv("FACEID_CAMERA_MODULE"); p != nullptr && *p != '\0') {
    return {p};
  }
  std::error_code ec;
  fs::path exe_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  return {exe_dir / kCameraModuleFile, exe_dir / ".." / "lib" / "faceid" / kCameraModuleFile};
}

Result<const CameraBackend*> load_backend() {
  std::string tried;
  for (const auto& path : module_candidates()) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      tried += (tried.empty() ? "" : ", ") + path.string();
      continue;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      return make_error("camera_unavailable",
                        "cannot load camera support " + path.string() + ": " + dlerror());
    }
    using Entry = const CameraBackend* (*)(int);
    auto entry = reinterpret_cast<Entry>(dlsym(handle, kCameraEntryPoint));
    const CameraBackend* backend = entry != nullptr ? entry(kCameraBackendVersion) : nullptr;
    if (backend == nullptr) {
      return make_error("camera_unavailable",
                        "camera support " + path.string() + " was built for another faceid");
    }
    return backend;
  }
  return make_error("camera_unavailable", "camera support is not installed (" +
                                              std::string(kCameraModuleFile) + " not found at " +
                                              tried + "); pass --image instead");
}

Result<const CameraBackend*> backend() {
  static std::once_flag once;
  static Result<const CameraBackend*> loaded = make_error("camera_unavailable", "not loaded");
  std::call_once(once, [] { loaded = load_backend(); });
  return loaded;
}

}  // namespace

Status Camera::check() const {
  auto b = backend();
  if (!b) return b.error();
  return (*b)->check(source_);
}

Result<std::vector<std::string>> Camera::record_challenge(const std::vector<std::string>& actions,
                                                          int min_frames, int max_frames,
                                                          const StepCallback& on_step) const {
  auto b = backend();
  if (!b) return b.error();
  return (*b)->record_challenge(source_, actions, min_frames, max_frames, on_step);
}

Result<std::string> Camera::take_photo() const {
  auto b = backend();
  if (!b) return b.error();
  return (*b)->take_photo(source_);
}

}  // namespace faceid::cli::client
