// Face pipeline benchmark, one process on one core, over the 640x480 webcam-sized test
// photo: p50/p95 of each stage (decode, detect, landmarks, chip, quality, liveness,
// embedding), of the whole login pipeline (FaceEngine::analyze_single with liveness), and of
// the reference pipeline the Python face_recognition library runs (HOG with one upsample on
// the full frame + 68 landmarks + ResNet), with the ratio; model load time and peak RSS.
//
// Usage: face_pipeline_bench [MODELS_DIR] [PHOTO] [ITERATIONS]
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>
#include <dlib/opencv/cv_image.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <string>
#include <vector>

#include "face/blas_kernels.h"
#include "face/dnn_embedder.h"
#include "face/engine_loader.h"
#include "face/face_aligner.h"
#include "face/face_detector.h"
#include "face/face_embedder.h"
#include "face/image_decoder.h"
#include "face/liveness_scorer.h"
#include "face/model_files.h"
#include "face/quality_gate.h"

namespace {

using namespace faceid::face;
using Clock = std::chrono::steady_clock;

struct Stats {
  double p50, p95, mean;
};

Stats summarise(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double v : ms) sum += v;
  const auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))];
  };
  return {at(0.5), at(0.95), sum / ms.size()};
}

Stats measure(int iterations, const std::function<void()>& fn) {
  for (int i = 0; i < 3; ++i) fn();  // warm-up (allocations, lazy init)
  std::vector<double> ms;
  for (int i = 0; i < iterations; ++i) {
    const auto t = Clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
  }
  return summarise(std::move(ms));
}

// Alternates a and b call by call, so both see the same machine load: the fair way to
// compare two pipelines on a shared, busy machine.
std::pair<Stats, Stats> measure_interleaved(int iterations, const std::function<void()>& a,
                                            const std::function<void()>& b) {
  a(), b();
  std::vector<double> ma, mb;
  for (int i = 0; i < iterations; ++i) {
    auto t = Clock::now();
    a();
    ma.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
    t = Clock::now();
    b();
    mb.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
  }
  return {summarise(ma), summarise(mb)};
}

void row(const char* name, const Stats& s) {
  std::printf("| %-44s | %8.2f | %8.2f | %8.2f |\n", name, s.p50, s.p95, s.mean);
}

// OpenBLAS and OpenCV size their thread pools from the environment at load time: re-exec
// once with one thread each, pinned to one core, so the figures are single-core figures.
void run_on_one_core(char** argv) {
  if (std::getenv("FACEID_BENCH_PINNED") == nullptr) {
    setenv("FACEID_BENCH_PINNED", "1", 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    setenv("OMP_NUM_THREADS", "1", 1);
    execv("/proc/self/exe", argv);
    std::perror("execv");  // fall through: measure anyway
  }
  faceid::face::use_best_openblas_kernels(argv);  // the service's kernels, for both sides
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(sched_getcpu(), &set);
  sched_setaffinity(0, sizeof(set), &set);
  cv::setNumThreads(1);
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  run_on_one_core(argv);
  const std::string models = argc > 1 ? argv[1] : "models";
  const std::string photo = argc > 2 ? argv[2] : "../shared/testdata/faces/obama_640x480.jpg";
  const int n = argc > 3 ? std::atoi(argv[3]) : 50;
  const std::string bytes = slurp(photo);
  if (bytes.empty()) {
    std::fprintf(stderr, "cannot read %s\n", photo.c_str());
    return 1;
  }

  // Model load, as the service does it at start-up (one worker; the cached .dat exists).
  bool converted = false;
  if (auto s = ensure_resnet_cache(models, &converted); !s) {
    std::fprintf(stderr, "%s\n", s.error().message.c_str());
    return 1;
  }
  EngineOptions options;
  options.models_dir = models;
  options.workers = 1;
  EngineLoadReport load;
  const auto t0 = Clock::now();
  auto engine = load_face_engine_timed(options, &load);
  const double load_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (!engine) {
    std::fprintf(stderr, "%s\n", engine.error().message.c_str());
    return 1;
  }

  // Memory of the service's engine alone: after loading and one login.
  AnalyzeOptions warm;
  warm.liveness = true;
  (void)(*engine)->analyze_single(bytes, warm);
  const double engine_rss_mb = peak_rss_mb();

  // The whole login pipeline first, while the engine's models are the only ones in memory
  // (as in the service): measured later, the stage-by-stage copies below would compete for
  // the CPU caches and make it look slower.
  AnalyzeOptions login;
  login.liveness = true;
  const Stats pipeline = measure(n, [&] { (void)(*engine)->analyze_single(bytes, login); });
  AnalyzeOptions no_liveness;
  const Stats pipeline_no_liveness =
      measure(n, [&] { (void)(*engine)->analyze_single(bytes, no_liveness); });

  // Stage by stage, with the same components the engine uses.
  const ModelFiles files = locate_model_files(models);
  auto detector = make_face_detector("cnn", files.rfb_detector);
  auto aligner = FaceAligner::load(files.shape_predictor);
  auto embedder = FaceEmbedder::load(files.resnet_dat);
  auto liveness = make_minifasnet_scorer(files.liveness, {1.5, false});
  if (!detector || !aligner || !embedder || !liveness) return 1;
  auto dnn_embedder = DnnEmbedder::create((*embedder)->weights());  // what the engine runs
  if (!dnn_embedder) return 1;
  const cv::Mat image = decode_image(bytes, {})->bgr;
  const auto faces = (*detector)->detect(image, {false});
  if (faces.empty()) {
    std::fprintf(stderr, "no face in %s\n", photo.c_str());
    return 1;
  }
  const cv::Rect2f box = faces[0].box;
  const Landmarks landmarks = (*aligner)->landmarks(image, box, BoxStyle::kRfb);
  const FaceChip chip = (*aligner)->chip(image, landmarks);

  std::printf("photo %s (%dx%d), %d iterations, 1 core (OPENBLAS_NUM_THREADS=%s)\n", photo.c_str(),
              image.cols, image.rows, n, std::getenv("OPENBLAS_NUM_THREADS"));
  // Other processes on the machine change every figure: say how busy it was.
  std::printf("machine load average at start: %s", slurp("/proc/loadavg").c_str());
  std::printf("OpenBLAS kernels: %s\n", faceid::face::loaded_openblas_core().c_str());
  std::printf("| %-44s | %8s | %8s | %8s |\n", "stage (ms)", "p50", "p95", "mean");
  std::printf("|%s|----------|----------|----------|\n", std::string(46, '-').c_str());
  row("decode (libjpeg-turbo)", measure(n, [&] { (void)decode_image(bytes, {}); }));
  row("detect (RFB-320, cv::dnn)", measure(n, [&] { (void)(*detector)->detect(image, {false}); }));
  row("landmarks (dlib 68-point)",
      measure(n, [&] { (void)(*aligner)->landmarks(image, box, BoxStyle::kRfb); }));
  row("align (150x150 chip)", measure(n, [&] { (void)(*aligner)->chip(image, landmarks); }));
  row("quality gate", measure(n, [&] {
        (void)assess_quality(chip, landmarks, image.size(), box.width, QualityThresholds{});
      }));
  row("liveness (MiniFASNet, cv::dnn)", measure(n, [&] { (void)(*liveness)->score(image, box); }));
  row("embedding (dlib ResNet run by dlib, OpenBLAS)",
      measure(n, [&] { (void)(*embedder)->embed(chip); }));
  row("embedding (same ResNet run by oneDNN: engine)",
      measure(n, [&] { (void)(*dnn_embedder)->embed(chip); }));
  row("stages above back to back (no engine)", measure(n, [&] {
        const auto decoded = decode_image(bytes, {});
        const auto found = (*detector)->detect(decoded->bgr, {false});
        const auto lm = (*aligner)->landmarks(decoded->bgr, found[0].box, BoxStyle::kRfb);
        const auto c = (*aligner)->chip(decoded->bgr, lm);
        (void)assess_quality(c, lm, decoded->bgr.size(), found[0].box.width, QualityThresholds{});
        (void)(*liveness)->score(decoded->bgr, found[0].box);
        (void)(*dnn_embedder)->embed(c);
      }));
  row("whole login pipeline (analyze_single+liveness)", pipeline);
  row("whole pipeline without liveness", pipeline_no_liveness);

  // The Python face_recognition reference: face_locations(img, 1) (HOG, one upsample) +
  // 68-point landmarks + compute_face_descriptor, all on the full frame, dlib only.
  dlib::frontal_face_detector hog = dlib::get_frontal_face_detector();
  dlib::shape_predictor predictor;
  dlib::deserialize(files.shape_predictor) >> predictor;
  const int ref_n = std::max(5, n / 3);
  std::vector<dlib::rectangle> ref_faces;
  const Stats ref_detect = measure(ref_n, [&] {
    dlib::matrix<dlib::rgb_pixel> rgb;
    dlib::assign_image(rgb, dlib::cv_image<dlib::bgr_pixel>(image));
    dlib::pyramid_up(rgb);
    ref_faces = hog(rgb);
  });
  const auto reference_pipeline = [&] {
    const auto decoded = decode_image(bytes, {});
    dlib::matrix<dlib::rgb_pixel> rgb;
    dlib::assign_image(rgb, dlib::cv_image<dlib::bgr_pixel>(decoded->bgr));
    dlib::matrix<dlib::rgb_pixel> up = rgb;
    dlib::pyramid_up(up);
    for (const auto& r : hog(up)) {
      const dlib::rectangle face(r.left() / 2, r.top() / 2, r.right() / 2, r.bottom() / 2);
      const auto shape = predictor(rgb, face);
      FaceChip ref_chip;
      dlib::extract_image_chip(rgb, dlib::get_face_chip_details(shape, 150, 0.25), ref_chip);
      (void)(*embedder)->embed(ref_chip);
    }
  };
  const Stats reference = measure(ref_n, reference_pipeline);
  row("reference: HOG x1 upsample (detect only)", ref_detect);
  row("reference: face_recognition pipeline", reference);
  std::printf("\nreference faces found: %zu\n", ref_faces.size());
  std::printf("ratio whole login pipeline / reference (p50): %.3f\n", pipeline.p50 / reference.p50);
  std::printf("ratio without liveness (same work as the reference) / reference (p50): %.3f\n",
              pipeline_no_liveness.p50 / reference.p50);
  const auto [ours, theirs] = measure_interleaved(
      ref_n, [&] { (void)(*engine)->analyze_single(bytes, login); }, reference_pipeline);
  std::printf(
      "interleaved call by call (%d rounds): login pipeline p50 %.2f ms, reference p50 "
      "%.2f ms, ratio %.3f\n",
      ref_n, ours.p50, theirs.p50, ours.p50 / theirs.p50);

  std::printf("\nmodel load at start-up (1 worker): %.0f ms\n", load_ms);
  for (const auto& [what, ms] : load.steps_ms) std::printf("  %-40s %7.1f ms\n", what.c_str(), ms);
  std::printf("peak RSS, engine loaded + one login (1 worker): %.0f MB\n", engine_rss_mb);
  std::printf("peak RSS, whole benchmark (models loaded twice + reference): %.0f MB\n",
              peak_rss_mb());
  return 0;
}
