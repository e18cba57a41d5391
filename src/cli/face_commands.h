// `faceid embed`, `faceid compare` and `faceid models`: thin command-line front ends of the
// face engine. main.cpp wires them into CLI11; each returns the process exit code
// (0 = success, 1 = an image or model could not be processed) and writes JSON lines to out.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "face/face_engine.h"

namespace faceid::cli {

// One JSON line per image: {"file", "faces": [{"box": [x, y, w, h], "score", "quality",
// "liveness" (when requested, else null), "embedding": [128 floats]}]} or
// {"file", "error": {"code", "message"}}.
int run_embed(const faceid::face::EngineOptions& options, const std::vector<std::string>& files,
              bool liveness, std::ostream& out);

// {"distance", "threshold", "match"} for the dominant face of each photo.
int run_compare(const faceid::face::EngineOptions& options, const std::string& a,
                const std::string& b, double threshold, std::ostream& out);

// Converts the ResNet weights into the cached dlib file when missing, loads every model
// once and prints what was loaded with timings.
int run_prepare_models(const faceid::face::EngineOptions& options, std::ostream& out);

}  // namespace faceid::cli
