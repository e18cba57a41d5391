// Calibration probe (not a benchmark): prints, for every photo in testdata, what the
// detectors find, the RFB->HOG box fit, the match distances and the liveness scores.
// The numbers in docs/models.md come from this program.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

#include "face/dlib_face_engine.h"
#include "face/engine_loader.h"
#include "face/face_aligner.h"
#include "face/face_detector.h"
#include "face/face_embedder.h"
#include "face/image_decoder.h"
#include "face/liveness_scorer.h"
#include "face/model_files.h"

using namespace faceid::face;

static std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// fr_landmark.onnx as faceplugin's JS runs it: the box enlarged 1.2x (Silent-Face crop),
// 64x64 grey / 256, 136 outputs in 0..1. `relative_to_crop` picks the output frame.
static Landmarks onnx_landmarks(cv::dnn::Net& net, const cv::Mat& bgr, const cv::Rect2f& box,
                                bool relative_to_crop) {
  const double scale =
      std::min({(bgr.rows - 1) / (double)box.height, (bgr.cols - 1) / (double)box.width, 1.2});
  const double cw = box.width * scale, ch = box.height * scale;
  double x0 = box.x + box.width / 2 - cw / 2, y0 = box.y + box.height / 2 - ch / 2;
  x0 = std::clamp(x0, 0.0, bgr.cols - 1 - cw);
  y0 = std::clamp(y0, 0.0, bgr.rows - 1 - ch);
  const cv::Rect crop =
      cv::Rect((int)x0, (int)y0, (int)cw, (int)ch) & cv::Rect(0, 0, bgr.cols, bgr.rows);
  cv::Mat grey;
  cv::cvtColor(bgr(crop), grey, cv::COLOR_BGR2GRAY);
  cv::resize(grey, grey, cv::Size(64, 64));
  net.setInput(cv::dnn::blobFromImage(grey, 1.0 / 256));
  const cv::Mat out = net.forward();
  const float* v = out.ptr<float>();
  Landmarks lm{};
  for (int i = 0; i < 68; ++i) {
    if (relative_to_crop)
      lm[i] = {crop.x + v[2 * i] * crop.width, crop.y + v[2 * i + 1] * crop.height};
    else
      lm[i] = {box.x + v[2 * i] * box.width, box.y + v[2 * i + 1] * box.height};
  }
  return lm;
}

struct Photo {
  std::string file, person;
  std::map<std::string, Embedding> by_variant;
};

static void run_pairs(const std::string& models, const std::string& testdata, FaceDetector& rfb,
                      FaceDetector& hog) {
  bool converted = false;
  if (auto s = ensure_resnet_cache(models, &converted); !s) {
    std::printf("cache: %s\n", s.error().message.c_str());
    return;
  }
  const ModelFiles files = locate_model_files(models);
  auto embedder = FaceEmbedder::load(files.resnet_dat);
  auto aligner = FaceAligner::load(files.shape_predictor);
  if (!embedder || !aligner) return;
  cv::dnn::Net lmnet = cv::dnn::readNetFromONNX(
      files.rfb_detector.substr(0, files.rfb_detector.rfind('/')) + "/fr_landmark.onnx");
  std::ifstream manifest(testdata + "/manifest.csv");
  std::string line;
  std::getline(manifest, line);
  std::vector<Photo> photos;
  while (std::getline(manifest, line)) {
    const auto c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1);
    Photo p{line.substr(0, c1), line.substr(c1 + 1, c2 - c1 - 1), {}};
    if (line.substr(c2 + 1, c3 - c2 - 1) != "1") continue;
    auto decoded = decode_image(slurp(testdata + "/" + p.file), {});
    if (!decoded) continue;
    auto img = faceid::Result<cv::Mat>(decoded->bgr);
    if (!img) continue;
    auto r = rfb.detect(*img, {true});
    auto h = hog.detect(*img, {true});
    if (r.empty()) continue;
    auto embed = [&](const cv::Rect2f& box, BoxStyle style) {
      return (*embedder)->embed((*aligner)->chip(*img, (*aligner)->landmarks(*img, box, style)));
    };
    p.by_variant["onnx_lm_box"] =
        (*embedder)->embed((*aligner)->chip(*img, onnx_landmarks(lmnet, *img, r[0].box, false)));
    p.by_variant["onnx_lm_crop"] =
        (*embedder)->embed((*aligner)->chip(*img, onnx_landmarks(lmnet, *img, r[0].box, true)));
    p.by_variant["rfb_raw"] = embed(r[0].box, BoxStyle::kHog);
    p.by_variant["rfb_adapted"] = embed(r[0].box, BoxStyle::kRfb);
    if (!h.empty()) p.by_variant["hog"] = embed(h[0].box, BoxStyle::kHog);
    photos.push_back(p);
  }
  for (const char* variant : {"onnx_lm_box", "onnx_lm_crop", "rfb_raw", "rfb_adapted", "hog"}) {
    float same_max = 0, diff_min = 9;
    std::string same_pair, diff_pair;
    int same_n = 0, diff_n = 0;
    for (size_t i = 0; i < photos.size(); ++i) {
      for (size_t j = i + 1; j < photos.size(); ++j) {
        const auto& a = photos[i];
        const auto& b = photos[j];
        if (!a.by_variant.count(variant) || !b.by_variant.count(variant)) continue;
        const float d = embedding_distance(a.by_variant.at(variant), b.by_variant.at(variant));
        if (a.person == b.person) {
          ++same_n;
          if (d > same_max) same_max = d, same_pair = a.file + " " + b.file;
        } else {
          ++diff_n;
          if (d < diff_min) diff_min = d, diff_pair = a.file + " " + b.file;
        }
        if ((a.file == "obama_1.jpg" && (b.file == "obama_2.jpg" || b.file == "biden_1.jpg")))
          std::printf("  %s %s-%s %.3f\n", variant, a.file.c_str(), b.file.c_str(), d);
      }
    }
    std::printf("%-12s same n=%d max %.3f (%s)  diff n=%d min %.3f (%s)\n", variant, same_n,
                same_max, same_pair.c_str(), diff_n, diff_min, diff_pair.c_str());
  }
}

// The box dlib's 68-point predictor was trained on (a HOG box) as a function of the 68 points
// it predicts from that box: centre and side relative to the points' bounding box. The engine
// refits landmarks from this box (face_aligner.cpp, predictor_box_from_landmarks).
static void run_landmark_box_fit(const std::string& models, const std::string& testdata,
                                 FaceDetector& hog) {
  auto aligner = FaceAligner::load(locate_model_files(models).shape_predictor);
  if (!aligner) return;
  std::vector<double> dx, dy, side;
  for (const auto& entry : std::filesystem::directory_iterator(testdata)) {
    if (entry.path().extension() == ".md" || entry.path().extension() == ".csv") continue;
    auto decoded = decode_image(slurp(entry.path().string()), {});
    if (!decoded) continue;
    for (const auto& d : hog.detect(decoded->bgr, {true})) {
      const Landmarks lm = (*aligner)->landmarks(decoded->bgr, d.box, BoxStyle::kHog);
      std::vector<cv::Point2f> pts(lm.begin(), lm.end());
      const cv::Rect2f b = cv::boundingRect(pts);
      dx.push_back((d.box.x + d.box.width / 2 - (b.x + b.width / 2)) / b.width);
      dy.push_back((d.box.y + d.box.height / 2 - (b.y + b.height / 2)) / b.height);
      side.push_back(d.box.width / std::max(b.width, b.height));
      std::printf("%-40s dx %.3f dy %.3f side %.3f (w/h %.3f)\n", entry.path().filename().c_str(),
                  dx.back(), dy.back(), side.back(), b.width / b.height);
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  std::printf("median over %zu faces: dx %.3f dy %.3f side %.3f\n", dx.size(), median(dx),
              median(dy), median(side));
}

int main(int argc, char** argv) {
  const std::string models = argc > 1 ? argv[1] : "models";
  const std::string testdata = argc > 2 ? argv[2] : "../shared/testdata";
  const std::string mode = argc > 3 ? argv[3] : "boxes";
  const ModelFiles files = locate_model_files(models);
  auto rfb = make_face_detector("cnn", files.rfb_detector);
  auto hog = make_face_detector("hog", "");
  if (!rfb || !hog) return 1;
  if (mode == "boxes" || mode == "boxes1") {
    for (const auto& entry : std::filesystem::directory_iterator(testdata)) {
      const auto path = entry.path().string();
      if (entry.path().extension() == ".md" || entry.path().extension() == ".csv") continue;
      auto decoded = decode_image(slurp(path), {});
      if (!decoded) continue;
      auto img = faceid::Result<cv::Mat>(decoded->bgr);
      if (!img) {
        std::printf("%s: %s\n", path.c_str(), img.error().code.c_str());
        continue;
      }
      auto r = (*rfb)->detect(*img, {mode == "boxes"});
      auto h = (*hog)->detect(*img, {true});
      std::printf("%s %dx%d rfb=%zu hog=%zu\n", entry.path().filename().c_str(), img->cols,
                  img->rows, r.size(), h.size());
      for (const auto& d : r) {
        std::printf("  RFB %.1f %.1f %.1f %.1f %.3f", d.box.x, d.box.y, d.box.width, d.box.height,
                    d.score);
        for (const auto& e : h) {
          if ((d.box & e.box).area() > 0) {
            std::printf(
                "  HOG %.1f %.1f %.1f %.1f | dx=%.3f dy=%.3f side=%.3f", e.box.x, e.box.y,
                e.box.width, e.box.height,
                ((e.box.x + e.box.width / 2) - (d.box.x + d.box.width / 2)) / d.box.width,
                ((e.box.y + e.box.height / 2) - (d.box.y + d.box.height / 2)) / d.box.height,
                e.box.width / d.box.width);
          }
        }
        std::printf("\n");
      }
    }
  }
  if (mode == "liveness") {
    const ModelFiles f = locate_model_files(models);
    for (const auto& entry : std::filesystem::directory_iterator(testdata)) {
      if (entry.path().extension() == ".md" || entry.path().extension() == ".csv") continue;
      auto decoded = decode_image(slurp(entry.path().string()), {});
      if (!decoded) continue;
      auto faces = (*rfb)->detect(decoded->bgr, {false});
      if (faces.empty()) continue;
      std::sort(faces.begin(), faces.end(),
                [](auto& a, auto& b) { return a.box.area() > b.box.area(); });
      std::printf("%-40s", entry.path().filename().c_str());
      for (bool pred : {false}) {
        for (double scale : {1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 2.0, 2.7}) {
          auto scorer = make_minifasnet_scorer(f.liveness, {scale, pred});
          std::printf(" %.2f", (*scorer)->score(decoded->bgr, faces[0].box));
        }
        std::printf(" |");
      }
      std::printf("\n");
    }
  }
  if (mode == "pairs") run_pairs(models, testdata, **rfb, **hog);
  if (mode == "lmbox") run_landmark_box_fit(models, testdata, **hog);
  return 0;
}
