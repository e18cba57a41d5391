// Where each model file lives under EngineOptions::models_dir (the layout scripts/setup.sh
// unpacks from the pinned npm packages) and a bounded reader for them.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace faceid::face {

struct ModelFiles {
  std::string tfjs_manifest;          // face-api face_recognition_model-weights_manifest.json
  std::string resnet_dat;             // cached dlib serialization of the converted ResNet
  std::string rfb_detector;           // fr_detect.onnx
  std::string liveness;               // fr_liveness.onnx
  std::string shape_predictor;        // dlib 68-point predictor (Debian libdlib-data)
  std::string hog_detector_cache;     // dlib's frontal face detector, serialized plainly
  std::string shape_predictor_cache;  // its packed copy (PackedShapePredictor::load_cached)
};

// Resolves each file, accepting both models_dir/<pkg>/model/<file> (npm layout) and
// models_dir/<pkg>/<file>. Missing files keep the first candidate path (for the error).
ModelFiles locate_model_files(const std::string& models_dir);

bool file_exists(const std::string& path);

// Whole file, or models_unavailable naming the path.
Result<std::vector<unsigned char>> read_model_file(const std::string& path);

}  // namespace faceid::face
