// Picks OpenBLAS's compute kernels for the CPU we run on. Bookworm's OpenBLAS 0.3.21 does not
// know recent Intel models (a Sapphire Rapids VM reports family 6 model 143) and falls back to
// its SSE3 "Prescott" sgemm, which made the ResNet embedding about twice as slow as the AVX-512
// kernel the same library ships. OpenBLAS chooses once, when it loads, from OPENBLAS_CORETYPE,
// so the choice is made here and applied by re-executing the program.
#pragma once

#include <string>

namespace faceid::face {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool avx512 = false;  // F, CD, BW, DQ and VL: what OpenBLAS's SkylakeX kernels use
};

CpuFeatures detect_cpu_features();

// The OPENBLAS_CORETYPE worth forcing when OpenBLAS picked `loaded_core` (its lower-case
// corename) on a CPU with `cpu`; empty when its own choice is already as good.
std::string better_openblas_core(const std::string& loaded_core, const CpuFeatures& cpu);

// The core name of the OpenBLAS copy this process loaded ("" when none is loaded).
std::string loaded_openblas_core();

// When OPENBLAS_CORETYPE is unset and better_openblas_core() names one, sets it and
// re-executes /proc/self/exe with the same arguments (same pid); otherwise returns.
void use_best_openblas_kernels(char** argv);

}  // namespace faceid::face
