// DnnEmbedder: the same dlib ResNet-29 (same weights, same 128-d descriptors to float
// rounding) executed by OpenCV's dnn module. dlib's CPU convolutions copy every input patch
// (img2col) and multiply through OpenBLAS; OpenCV's run on kernels dispatched for the CPU
// (AVX2/AVX-512), about twice as fast on one core. Not thread-safe: one per engine worker
// (clone()), like the other networks.
#pragma once

#include <memory>
#include <vector>

#include "common/result.h"
#include "face/face_chip.h"
#include "face/face_engine.h"
#include "face/resnet_weights.h"

namespace faceid::face {

class DnnEmbedder {
 public:
  static Result<std::unique_ptr<DnnEmbedder>> create(ResNetWeights weights);
  ~DnnEmbedder();

  std::unique_ptr<DnnEmbedder> clone() const;
  Embedding embed(const FaceChip& chip);
  std::vector<Embedding> embed_batch(const std::vector<FaceChip>& chips);

 private:
  struct Impl;
  explicit DnnEmbedder(std::unique_ptr<Impl> impl);
  static Result<std::unique_ptr<DnnEmbedder>> create_shared(
      std::shared_ptr<const ResNetWeights> weights);
  std::vector<Embedding> run(const std::vector<const FaceChip*>& chips);
  std::unique_ptr<Impl> impl_;
};

}  // namespace faceid::face
