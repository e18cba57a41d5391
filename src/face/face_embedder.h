// FaceEmbedder: dlib's ResNet-29 metric network (128-d face descriptors). The network type
// lives only in face_embedder.cpp because that one translation unit takes ~2 minutes to
// compile; everything else sees this small header. Not thread-safe: the engine keeps one
// instance per worker (clone()).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "face/face_chip.h"
#include "face/face_engine.h"
#include "face/resnet_weights.h"

namespace faceid::face {

class FaceEmbedder {
 public:
  // Loads a dlib .dat written by convert_tfjs_to_dlib (or dlib's own model file).
  static Result<std::unique_ptr<FaceEmbedder>> load(const std::string& dat_path);
  ~FaceEmbedder();

  std::unique_ptr<FaceEmbedder> clone() const;
  Embedding embed(const FaceChip& chip);
  std::vector<Embedding> embed_batch(const std::vector<FaceChip>& chips);
  // The parameters, affines folded into the convolutions (for DnnEmbedder). Not const only
  // because dlib's layer visitor takes a mutable network; nothing is changed.
  ResNetWeights weights();

 private:
  struct Impl;
  explicit FaceEmbedder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Converts the face-api.js (tfjs) copy of dlib's ResNet weights into a dlib .dat file:
// walks the manifest's tensors and the network's layers in the same order, asserting every
// size, and writes atomically (temp file + rename).
Status convert_tfjs_to_dlib(const std::string& manifest_path, const std::string& out_dat_path);

}  // namespace faceid::face
