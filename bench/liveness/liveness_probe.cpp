// liveness_probe MODELS_DIR FRAME...: one line per frame with what the challenge verifier
// reads (pose, proxies, eye aspect ratio, passive score, homography residual and embedding
// distance against the first frame). Used to calibrate docs/liveness.md.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "face/face_engine.h"
#include "liveness/face_geometry.h"
#include "liveness/planar_fit.h"
#include "liveness/response_verifier.h"

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
  // --actions a,b,c: also run the verifier on the frames as a response to those actions.
  std::vector<liveness::Action> actions;
  int first_frame = 2;
  if (argc > 3 && std::string(argv[2]) == "--actions") {
    std::stringstream list(argv[3]);
    for (std::string a; std::getline(list, a, ',');) {
      if (auto parsed = liveness::parse_action(a)) actions.push_back(*parsed);
    }
    first_frame = 4;
  }
  std::vector<liveness::FrameObservation> observed;
  std::vector<cv::Mat> images;
  std::optional<face::FaceResult> first;
  cv::Mat first_image;
  std::printf("frame\tyaw\tpitch\tyawp\tpitchp\tear\tpassive\tresid\tpx\tdist\tplanar\tquality\n");
  for (int i = first_frame; i < argc; ++i) {
    auto r = (*engine)->analyze_single(
        read_file(argv[i]), {.liveness = true, .enforce_quality = false, .video_frame = true});
    if (!r) {
      std::printf("%s\t%s\n", argv[i], r.error().code.c_str());
      continue;
    }
    const cv::Mat image = cv::imread(argv[i]);
    observed.push_back(liveness::FrameObservation::from(*r));
    // LIVENESS_PROBE_IGNORE_QUALITY=1: judge the actions of clips too blurry to enrol.
    if (std::getenv("LIVENESS_PROBE_IGNORE_QUALITY")) observed.back().quality_passed = true;
    images.push_back(image);
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
  if (!actions.empty()) {
    auto planar = [&](size_t a, size_t b) {
      return liveness::planar_fit(images[a], observed[a].landmarks, images[b],
                                  observed[b].landmarks);
    };
    auto v = liveness::verify_response(actions, observed, {}, planar);
    if (v) {
      std::printf("verdict\tpass\tbest %zu, passive %.3f, planar %.3f, residual %.3f\n",
                  v->best_frame, v->passive, v->planar_fit, v->residual);
    } else {
      std::printf("verdict\t%s\t%s\n", v.error().code.c_str(),
                  v.error().details.empty() ? "" : v.error().details[0].c_str());
    }
  }
  return 0;
}
