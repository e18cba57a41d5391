// Reads TensorFlow.js weight files (a weights_manifest.json plus its .bin shard) into plain
// float tensors, de-quantizing uint8 tensors. No dlib here: face_embedder.cpp maps them.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace faceid::face {

struct TfjsTensor {
  std::string name;
  std::vector<int> shape;     // tfjs order, e.g. [kh, kw, in, out] for conv filters
  std::vector<float> values;  // row-major in `shape` order
};

// Reads every tensor listed in the manifest, in manifest order, from the .bin file(s)
// next to it (the manifest's "paths"). Fails if a shard is short or not fully consumed.
Result<std::vector<TfjsTensor>> read_tfjs_weights(const std::string& manifest_path);

}  // namespace faceid::face
