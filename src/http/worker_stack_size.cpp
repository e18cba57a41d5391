// Debian builds civetweb with a fixed ~100 KiB worker stack (USE_STACK_SIZE), and glibc
// carves each thread's static TLS out of that stack: OpenBLAS alone takes 60 KiB of it, and
// the face pipeline (dlib, OpenBLAS kernels) runs on those workers. civetweb has no run-time
// option for this, so the executable interposes pthread_attr_setstacksize and raises any
// request below kMinStack. Linked into the `faceid` executable only (interposition needs the
// definition in the main program). Larger requests pass through unchanged.
#include <dlfcn.h>
#include <pthread.h>

#include <cstddef>

namespace {
constexpr std::size_t kMinStack = 8u << 20;  // glibc's usual default on Linux
using SetStackSize = int (*)(pthread_attr_t*, std::size_t);
}  // namespace

extern "C" int pthread_attr_setstacksize(pthread_attr_t* attr, std::size_t size) {
  static const auto real =
      reinterpret_cast<SetStackSize>(dlsym(RTLD_NEXT, "pthread_attr_setstacksize"));
  return real(attr, size < kMinStack ? kMinStack : size);
}
