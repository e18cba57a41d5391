// The dlib ResNet-29's learned parameters as plain arrays, with each convolution's affine
// (per-channel scale and shift, dlib's inference form of batch norm) folded into its weights
// and bias. Lets another executor run the same network (dnn_embedder.h) without dlib's DSL.
#pragma once

#include <vector>

namespace faceid::face {

struct ResNetConv {
  int filters = 0;
  int channels = 0;
  int size = 0;                // square kernel
  int stride = 1;              // dlib pads by size/2 when the stride is 1 and not at all otherwise
  std::vector<float> weights;  // [filters][channels][size][size]
  std::vector<float> bias;     // [filters]
};

struct ResNetWeights {
  std::vector<ResNetConv> convs;  // the 29 convolutions, input to output
  std::vector<float> fc;          // [256 inputs][128 outputs], no bias
};

}  // namespace faceid::face
