// Start-up helpers around load_face_engine without heavy headers: the one-off weight
// conversion (set-up time) and a timed load for `faceid models` and the benchmark.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "face/face_engine.h"

namespace faceid::face {

struct EngineLoadReport {
  std::vector<std::pair<std::string, double>> steps_ms;  // (what was loaded, milliseconds)
};

// load_face_engine, recording how long each model took.
Result<FaceEnginePtr> load_face_engine_timed(const EngineOptions& options,
                                             EngineLoadReport* report);

// Converts the tfjs ResNet weights into the cached dlib file when it is missing.
// *converted tells whether a conversion happened.
Status ensure_resnet_cache(const std::string& models_dir, bool* converted);

}  // namespace faceid::face
