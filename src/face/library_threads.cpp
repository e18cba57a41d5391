// OpenBLAS reads OPENBLAS_NUM_THREADS only when it loads, and the process carries two copies
// (Debian's libblas.so.3 alternative for dlib, libopenblas.so.0 for OpenCV), so each copy is
// found with dlopen(RTLD_NOLOAD) and told through its own setter.
#include "face/library_threads.h"

#include <dlfcn.h>

#include <opencv2/core/utility.hpp>

namespace faceid::face {

void limit_library_threads(int n) {
  if (n <= 0) return;
  cv::setNumThreads(n);
  using SetThreads = void (*)(int);
  for (const char* lib : {"libblas.so.3", "libopenblas.so.0"}) {
    void* handle = dlopen(lib, RTLD_NOW | RTLD_NOLOAD);
    if (handle == nullptr) continue;
    for (const char* fn : {"openblas_set_num_threads", "goto_set_num_threads"}) {
      if (auto set = reinterpret_cast<SetThreads>(dlsym(handle, fn))) {
        set(n);
        break;
      }
    }
    dlclose(handle);
  }
}

}  // namespace faceid::face
