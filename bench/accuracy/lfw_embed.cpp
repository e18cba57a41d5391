// Embeds every photo of LFW (images_deepfunneled/) with one pipeline and writes one line per
// photo for lfw_eval: the engine as the service runs it ("ours"), or the face_recognition
// reference pipeline rebuilt on the same parts ("ref": dlib HOG with one pyramid upsample on
// the full photo, one 68-point fit from the HOG box, dlib's chip, the same ResNet), so the two
// differ only in the front end. Subject = the face whose box centre is nearest the photo's
// centre. Not a test: LFW is a benchmark input used by path, never committed.
//
// Usage: lfw_embed LFW_DIR MODELS_DIR ours|ref OUT.tsv [SHARD/SHARDS]
// Output line: person \t file \t status \t box x,y,w,h \t face_px,sharpness,brightness,yaw,pitch
//              \t quality failures (comma list or -) \t 128 floats (space separated)
// status: ok | multiple_faces | no_face (ours: analyze_single's verdict; the subject is still
// embedded for multiple_faces, from analyze_all).
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>
#include <dlib/opencv/cv_image.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "face/dnn_embedder.h"
#include "face/engine_loader.h"
#include "face/face_aligner.h"
#include "face/face_embedder.h"
#include "face/model_files.h"
#include "face/quality_gate.h"

namespace fs = std::filesystem;
using namespace faceid::face;

namespace {

// A face this far from the centre (fraction of the longer side) is not surely the subject.
constexpr double kOffCentre = 0.25;

struct Row {
  std::string status = "no_face";
  FaceBox box;
  QualityReport quality;
  Embedding embedding{};
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

double centre_distance(const FaceBox& b, int w, int h) {
  const double dx = b.x + b.width / 2.0 - w / 2.0, dy = b.y + b.height / 2.0 - h / 2.0;
  return dx * dx + dy * dy;
}

// The service's verdict (analyze_single: the largest face, or multiple_faces), but the
// embedding of the subject: the face nearest the centre (the protocol of the reference run).
Row ours(FaceEngine& engine, const std::string& bytes) {
  Row row;
  AnalyzeOptions options;
  options.enforce_quality = false;
  const cv::Mat probe = cv::imdecode(
      cv::Mat(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data())),
      cv::IMREAD_COLOR);
  auto single = engine.analyze_single(bytes, options);
  if (single) {
    row.status = "ok";
    row.box = single->box;
    row.quality = single->quality;
    row.embedding = single->embedding;
    const double off = std::sqrt(centre_distance(single->box, probe.cols, probe.rows));
    if (off < kOffCentre * std::max(probe.cols, probe.rows)) return row;
  } else if (single.error().code != "multiple_faces") {
    return row;
  }
  auto all = engine.analyze_all(bytes, options);
  if (!all || all->empty()) return row;
  const auto nearest = std::min_element(all->begin(), all->end(), [&](auto& a, auto& b) {
    return centre_distance(a.box, probe.cols, probe.rows) <
           centre_distance(b.box, probe.cols, probe.rows);
  });
  if (!single) row.status = "multiple_faces";
  row.box = nearest->box;
  row.quality = nearest->quality;
  row.embedding = nearest->embedding;
  return row;
}

struct Reference {
  dlib::frontal_face_detector detector = dlib::get_frontal_face_detector();
  std::unique_ptr<FaceAligner> aligner;
  std::unique_ptr<DnnEmbedder> embedder;

  // face_recognition.face_encodings(img): detector(img, 1), pose_predictor_68_point(img, box),
  // compute_face_descriptor(img, shape) = chip(150, 0.25) -> ResNet.
  Row run(const std::string& bytes) {
    Row row;
    const cv::Mat bgr = cv::imdecode(
        cv::Mat(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data())),
        cv::IMREAD_COLOR);
    if (bgr.empty()) return row;
    dlib::matrix<dlib::rgb_pixel> img;
    dlib::assign_image(img, dlib::cv_image<dlib::bgr_pixel>(bgr));
    dlib::pyramid_down<2> pyr;
    dlib::pyramid_up(img, pyr);
    std::vector<dlib::rectangle> found = detector(img);
    if (found.empty()) return row;
    std::vector<FaceBox> boxes;
    for (auto& r : found) {
      r = pyr.rect_down(r);
      boxes.push_back({static_cast<int>(r.left()), static_cast<int>(r.top()),
                       static_cast<int>(r.width()), static_cast<int>(r.height()), 1.0f});
    }
    const auto nearest = std::min_element(boxes.begin(), boxes.end(), [&](auto& a, auto& b) {
      return centre_distance(a, bgr.cols, bgr.rows) < centre_distance(b, bgr.cols, bgr.rows);
    });
    row.status = found.size() == 1 ? "ok" : "multiple_faces";
    row.box = *nearest;
    const cv::Rect2f box(nearest->x, nearest->y, nearest->width, nearest->height);
    const Landmarks lm = aligner->landmarks(bgr, box, BoxStyle::kHog);
    const FaceChip chip = aligner->chip(bgr, lm);
    row.quality = assess_quality(chip, lm, bgr.size(), std::min(box.width, box.height), {});
    row.embedding = embedder->embed(chip);
    return row;
  }
};

void write(std::ofstream& out, const std::string& person, const std::string& file, const Row& r) {
  out << person << '\t' << file << '\t' << r.status << '\t' << r.box.x << ',' << r.box.y << ','
      << r.box.width << ',' << r.box.height << '\t' << r.quality.face_size_px << ','
      << r.quality.sharpness << ',' << r.quality.brightness << ',' << r.quality.yaw_deg << ','
      << r.quality.pitch_deg << '\t';
  std::string failures;
  for (const auto& f : r.quality.failures) failures += (failures.empty() ? "" : ",") + f;
  out << (failures.empty() ? "-" : failures) << '\t';
  for (int i = 0; i < kEmbeddingDim; ++i) out << (i ? " " : "") << r.embedding[i];
  out << '\n';
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: lfw_embed LFW_DIR MODELS_DIR ours|ref OUT.tsv [SHARD/SHARDS]\n");
    return 2;
  }
  const std::string lfw = argv[1], models = argv[2], pipeline = argv[3], out_path = argv[4];
  int shard = 0, shards = 1;
  if (argc > 5 && std::sscanf(argv[5], "%d/%d", &shard, &shards) != 2) return 2;

  std::vector<fs::path> photos;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(lfw) / "images_deepfunneled")) {
    if (e.is_regular_file() && e.path().extension() == ".jpg") photos.push_back(e.path());
  }
  std::sort(photos.begin(), photos.end());
  // LFW_ONLY=FILE: only the photos named there (one file name a line), to iterate on a few.
  if (const char* only = std::getenv("LFW_ONLY")) {
    std::ifstream list(only);
    std::vector<std::string> names{std::istream_iterator<std::string>(list), {}};
    std::sort(names.begin(), names.end());
    std::erase_if(photos, [&](const fs::path& p) {
      return !std::binary_search(names.begin(), names.end(), p.filename().string());
    });
  }

  EngineOptions options;
  options.models_dir = models;
  options.workers = 1;
  options.library_threads = 1;
  FaceEnginePtr engine;
  Reference ref;
  if (pipeline == "ours") {
    auto loaded = load_face_engine(options);
    if (!loaded) {
      std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
      return 1;
    }
    engine = std::move(*loaded);
  } else {
    const ModelFiles files = locate_model_files(models);
    auto aligner = FaceAligner::load(files.shape_predictor, files.shape_predictor_cache);
    auto dlib_net = FaceEmbedder::load(files.resnet_dat);
    if (!aligner || !dlib_net) return 1;
    auto embedder = DnnEmbedder::create((*dlib_net)->weights(), 1);
    if (!embedder) return 1;
    ref.aligner = std::move(*aligner);
    ref.embedder = std::move(*embedder);
  }

  std::ofstream out(out_path);
  size_t done = 0;
  for (size_t i = shard; i < photos.size(); i += shards) {
    const std::string bytes = slurp(photos[i].string());
    const Row row = engine ? ours(*engine, bytes) : ref.run(bytes);
    write(out, photos[i].parent_path().filename().string(), photos[i].filename().string(), row);
    if (++done % 1000 == 0) std::fprintf(stderr, "%s %d/%d: %zu\n", argv[3], shard, shards, done);
  }
  return 0;
}
