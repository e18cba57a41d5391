// Model file layout under models/.
#include "face/model_files.h"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace faceid::face {
namespace {

std::string first_existing(const std::vector<std::string>& candidates) {
  for (const auto& c : candidates) {
    if (file_exists(c)) return c;
  }
  return candidates.front();
}

std::string in_package(const std::string& dir, const std::string& package,
                       const std::string& file) {
  return first_existing({dir + "/" + package + "/model/" + file, dir + "/" + package + "/" + file});
}

}  // namespace

bool file_exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

ModelFiles locate_model_files(const std::string& models_dir) {
  ModelFiles f;
  f.tfjs_manifest =
      in_package(models_dir, "face-api", "face_recognition_model-weights_manifest.json");
  f.resnet_dat = models_dir + "/cache/dlib_face_recognition_resnet_v1.dat";
  f.hog_detector_cache = models_dir + "/cache/frontal_face_detector.dat";
  f.shape_predictor_cache = models_dir + "/cache/shape_predictor_68_face_landmarks.packed";
  f.rfb_detector = in_package(models_dir, "faceplugin", "fr_detect.onnx");
  f.liveness = in_package(models_dir, "faceplugin", "fr_liveness.onnx");
  f.shape_predictor = first_existing({models_dir + "/shape_predictor_68_face_landmarks.dat",
                                      "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"});
  return f;
}

Result<std::vector<unsigned char>> read_model_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("models_unavailable", "missing model file " + path);
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(in),
                                    std::istreambuf_iterator<char>());
}

}  // namespace faceid::face
