#include "face/blas_kernels.h"

#include <dlfcn.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdlib>

namespace faceid::face {

CpuFeatures detect_cpu_features() {
  __builtin_cpu_init();
  CpuFeatures f;
  f.avx2 = __builtin_cpu_supports("avx2") != 0;
  f.fma = __builtin_cpu_supports("fma") != 0;
  f.avx512 = __builtin_cpu_supports("avx512f") != 0 && __builtin_cpu_supports("avx512cd") != 0 &&
             __builtin_cpu_supports("avx512bw") != 0 && __builtin_cpu_supports("avx512dq") != 0 &&
             __builtin_cpu_supports("avx512vl") != 0;
  return f;
}

std::string better_openblas_core(const std::string& loaded_core, const CpuFeatures& cpu) {
  // The generic and pre-AVX2 x86 cores OpenBLAS falls back to for models it does not know.
  static constexpr std::array<const char*, 9> kFallbacks = {"prescott",    "core2",   "penryn",
                                                            "dunnington",  "nehalem", "atom",
                                                            "sandybridge", "katmai",  "generic"};
  bool fallback = false;
  for (const char* name : kFallbacks) fallback = fallback || loaded_core == name;
  if (!fallback || !cpu.avx2 || !cpu.fma) return "";
  return cpu.avx512 ? "SkylakeX" : "Haswell";
}

std::string loaded_openblas_core() {
  using CoreName = char* (*)();
  for (const char* lib : {"libopenblas.so.0", "libblas.so.3"}) {
    void* handle = dlopen(lib, RTLD_NOW | RTLD_NOLOAD);
    if (handle == nullptr) continue;
    auto name = reinterpret_cast<CoreName>(dlsym(handle, "openblas_get_corename"));
    std::string core;
    if (name != nullptr && name() != nullptr) core = name();
    dlclose(handle);
    if (!core.empty()) {
      for (char& c : core) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return core;
    }
  }
  return "";
}

void use_best_openblas_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;  // the operator's choice, or done
  const std::string core = better_openblas_core(loaded_openblas_core(), detect_cpu_features());
  if (core.empty()) return;
  ::setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
  ::execv("/proc/self/exe", argv);
  // exec failed (no /proc): carry on with the kernels already loaded.
}

}  // namespace faceid::face
