// liveness_probe MODELS_DIR FRAME...: one line per frame with what the challenge verifier
// reads (pose, proxies, eye aspect ratio, passive score, homography residual and embedding
// distance against the first frame). Used to calibrate docs/liveness.md.
#include <cstdio>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "face/face_engine.h"
#include "liveness/face_geometry.h"
#include "liveness/planar_fit.h"

namespace {
std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

int main(int argc, char** argv) {
  using namespace faceid;
  if (argc < 3) {
    std::fprintf(stderr, "usage: liveness_probe MODELS_DIR FRAME...\n");
    return 2;
  }
  face::EngineOptions options;
  options.models_dir = argv[1];
  options.workers = 1;
  auto engine = face::load_face_engine(options);
  if (!engine) {
    std::fprintf(stderr, "%s\n", engine.error().message.c_str());
    return 1;
  }
  std::optional<face::FaceResult> first;
  cv::Mat first_image;
  std::printf("frame\tyaw\tpitch\tyawp\tpitchp\tear\tpassive\tresid\tpx\tdist\tplanar\tquality\n");
  for (int i = 2; i < argc; ++i) {
    auto r =
        (*engine)->analyze_single(read_file(argv[i]), {.liveness = true, .enforce_quality = false});
    if (!r) {
      std::printf("%s\t%s\n", argv[i], r.error().code.c_str());
      continue;
    }
    const cv::Mat image = cv::imread(argv[i]);
    if (!first) first = *r, first_image = image;
    std::printf("%s\t%.1f\t%.1f\t%.3f\t%.3f\t%.3f\t%.3f\t%.4f\t%.4f\t%.3f\t%.3f\t%s\n", argv[i],
                r->quality.yaw_deg, r->quality.pitch_deg, liveness::yaw_proxy(r->landmarks),
                liveness::pitch_proxy(r->landmarks), liveness::eye_aspect_ratio(r->landmarks),
                r->liveness.value_or(-1),
                liveness::homography_residual(first->landmarks, r->landmarks),
                liveness::nose_parallax(first->landmarks, r->landmarks).horizontal,
                face::embedding_distance(first->embedding, r->embedding),
                liveness::planar_fit(first_image, first->landmarks, image, r->landmarks),
                r->quality.passed ? "ok" : r->quality.failures.front().c_str());
  }
  return 0;
}
