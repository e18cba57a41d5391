// DnnEmbedder: the same dlib ResNet-29 (same weights, same 128-d descriptors to float
// rounding) executed by oneDNN. dlib's CPU convolutions copy every input patch (img2col) and
// multiply through OpenBLAS; OpenCV 4.6's dnn module was twice as fast; oneDNN's JIT
// convolutions for the CPU at hand (AVX-512/AVX2) about three times faster again on one core.
// Not thread-safe: one per engine worker (clone()); copies share the packed weights.
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
  // threads > 0: the OpenMP threads oneDNN may use per call (0: OpenMP's default).
  static Result<std::unique_ptr<DnnEmbedder>> create(const ResNetWeights& weights, int threads = 0);
  ~DnnEmbedder();

  std::unique_ptr<DnnEmbedder> clone() const;
  Embedding embed(const FaceChip& chip);
  std::vector<Embedding> embed_batch(const std::vector<FaceChip>& chips);

 private:
  struct Impl;
  struct Packed;
  struct PackedConv;
  explicit DnnEmbedder(std::unique_ptr<Impl> impl);
  static Result<std::unique_ptr<DnnEmbedder>> make(std::shared_ptr<Packed> packed,
                                                   const ResNetWeights* source, int threads);
  std::unique_ptr<Impl> impl_;
};

}  // namespace faceid::face
