#include "face/blas_kernels.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace faceid::face {
namespace {

TEST(BlasKernelsTest, AFallbackCoreOnAnAvx512CpuGetsTheSkylakeXKernels) {
  EXPECT_EQ(better_openblas_core("prescott", {true, true, true}), "SkylakeX");
  EXPECT_EQ(better_openblas_core("sandybridge", {true, true, true}), "SkylakeX");
}

TEST(BlasKernelsTest, AFallbackCoreOnAnAvx2CpuGetsTheHaswellKernels) {
  EXPECT_EQ(better_openblas_core("prescott", {true, true, false}), "Haswell");
  EXPECT_EQ(better_openblas_core("core2", {true, true, false}), "Haswell");
}

TEST(BlasKernelsTest, ACoreOpenBlasRecognisedOrAnOldCpuIsLeftAlone) {
  EXPECT_EQ(better_openblas_core("haswell", {true, true, false}), "");
  EXPECT_EQ(better_openblas_core("skylakex", {true, true, true}), "");
  EXPECT_EQ(better_openblas_core("zen", {true, true, false}), "");
  EXPECT_EQ(better_openblas_core("prescott", {false, false, false}), "");
  EXPECT_EQ(better_openblas_core("prescott", {true, false, false}), "");  // AVX2 without FMA
}

// The real mechanism: this binary re-executed as the service starts (OPENBLAS_CORETYPE unset,
// use_best_openblas_kernels) ends up on kernels better_openblas_core() would not replace.
TEST(BlasKernelsTest, AProcessUsingTheBestKernelsEndsOnOnesNotWorthReplacing) {
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    ::dup2(out[1], 1);
    ::unsetenv("OPENBLAS_CORETYPE");
    ::setenv("FACEID_BLAS_PROBE", "1", 1);
    ::execl("/proc/self/exe", "blas_kernels_test", nullptr);
    std::_Exit(127);
  }
  ::close(out[1]);
  std::string core;
  char buf[256];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof(buf))) > 0;) core.append(buf, n);
  ::close(out[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_FALSE(core.empty()) << "OpenBLAS is linked (dlib, OpenCV): its core must be readable";
  EXPECT_EQ(better_openblas_core(core, detect_cpu_features()), "") << "ended on " << core;
}

}  // namespace
}  // namespace faceid::face

// The probe mode of the test above; otherwise the ordinary test runner.
int main(int argc, char** argv) {
  if (std::getenv("FACEID_BLAS_PROBE") != nullptr) {
    // This binary calls no BLAS routine, so the linker dropped the library: load it as the
    // service has it loaded (through dlib) before choosing.
    if (::dlopen("libblas.so.3", RTLD_NOW | RTLD_GLOBAL) == nullptr) return 3;
    faceid::face::use_best_openblas_kernels(argv);
    std::fputs(faceid::face::loaded_openblas_core().c_str(), stdout);
    return 0;
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
