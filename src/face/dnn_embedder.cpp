// The graph mirrors anet_type in face_embedder.cpp layer by layer; two dlib behaviours need
// spelling out for OpenCV:
//   - dlib pads a convolution or pooling by size/2 only when its stride is 1, and its pooling
//     rounds output sizes down (OpenCV's default rounds up: ceil_mode off).
//   - dlib's add_prev adds tensors of different shapes by treating what is missing as zero.
//     In a down-sampling block the shortcut (2x2 average pool) has half the channels and,
//     from 8x8 inputs down, one more row and column than the 3x3/2 convolution path: the
//     graph pads both with zeros to the common shape before the sum.
#include "face/dnn_embedder.h"

#include <algorithm>
#include <opencv2/dnn.hpp>
#include <string>
#include <utility>
#include <vector>

namespace faceid::face {
namespace {

// dlib's input_rgb_image: (pixel - channel mean) / 256, channels R, G, B.
constexpr float kMeanRed = 122.782f;
constexpr float kMeanGreen = 117.001f;
constexpr float kMeanBlue = 104.298f;

struct Shape {
  int channels;
  int size;  // square feature maps
};

// Builds the network, tracking every tensor's shape so the shortcut sums can be padded.
class GraphBuilder {
 public:
  explicit GraphBuilder(cv::dnn::Net& net) : net_(net) {}

  int conv(int input, Shape* shape, const ResNetConv& c) {
    cv::dnn::LayerParams p;
    p.set("kernel_size", c.size);
    p.set("stride", c.stride);
    p.set("pad", c.stride == 1 ? c.size / 2 : 0);
    p.set("num_output", c.filters);
    p.set("bias_term", true);
    const int dims[] = {c.filters, c.channels, c.size, c.size};
    // Headers over the shared weights, no copies: OpenCV packs its own copy for its kernels.
    p.blobs.push_back(cv::Mat(4, dims, CV_32F, const_cast<float*>(c.weights.data())));
    p.blobs.push_back(cv::Mat(1, c.filters, CV_32F, const_cast<float*>(c.bias.data())));
    const int pad = c.stride == 1 ? c.size / 2 : 0;
    *shape = {c.filters, (shape->size + 2 * pad - c.size) / c.stride + 1};
    return add("Convolution", p, input);
  }

  int relu(int input) {
    cv::dnn::LayerParams p;
    return add("ReLU", p, input);
  }

  int pool(int input, Shape* shape, const char* kind, int size, int stride) {
    cv::dnn::LayerParams p;
    p.set("pool", kind);
    p.set("kernel_size", size);
    p.set("stride", stride);
    p.set("pad", 0);
    p.set("ceil_mode", false);
    shape->size = (shape->size - size) / stride + 1;
    return add("Pooling", p, input);
  }

  int pad_to(int input, Shape from, Shape to) {
    if (from.channels == to.channels && from.size == to.size) return input;
    cv::dnn::LayerParams p;
    const int paddings[] = {
        0, 0, 0, to.channels - from.channels, 0, to.size - from.size, 0, to.size - from.size};
    p.set("paddings", cv::dnn::DictValue::arrayInt(paddings, 8));
    p.set("value", 0.0f);
    return add("Padding", p, input);
  }

  int sum(int a, int b) {
    cv::dnn::LayerParams p;
    p.set("operation", "sum");
    const int id = net_.addLayer(name("Eltwise"), "Eltwise", p);
    net_.connect(a, 0, id, 0);
    net_.connect(b, 0, id, 1);
    return id;
  }

  int global_average(int input) {
    cv::dnn::LayerParams p;
    p.set("pool", "ave");
    p.set("global_pooling", true);
    return add("Pooling", p, input);
  }

  int fully_connected(int input, const std::vector<float>& fc, int inputs, int outputs) {
    cv::dnn::LayerParams p;
    p.set("num_output", outputs);
    p.set("bias_term", false);
    cv::Mat w(outputs, inputs, CV_32F);  // OpenCV wants [out][in]; dlib stores [in][out]
    for (int o = 0; o < outputs; ++o)
      for (int i = 0; i < inputs; ++i) w.at<float>(o, i) = fc[static_cast<size_t>(i) * outputs + o];
    p.blobs.push_back(w);
    return add("InnerProduct", p, input);
  }

 private:
  std::string name(const char* type) { return std::string(type) + std::to_string(count_++); }

  int add(const char* type, cv::dnn::LayerParams& p, int input) {
    const int id = net_.addLayer(name(type), type, p);
    net_.connect(input, 0, id, 0);
    return id;
  }

  cv::dnn::Net& net_;
  int count_ = 0;
};

// One residual unit: conv-relu-conv on the main path, identity or 2x2 average-pool shortcut,
// then the sum and a relu.
int residual(GraphBuilder& g, int input, Shape* shape, const ResNetConv& first,
             const ResNetConv& second) {
  const Shape in = *shape;
  Shape main = in;
  int path = g.relu(g.conv(input, &main, first));
  path = g.conv(path, &main, second);
  int shortcut = input;
  Shape cut = in;
  if (first.stride != 1) shortcut = g.pool(input, &cut, "ave", 2, 2);
  const Shape out{std::max(main.channels, cut.channels), std::max(main.size, cut.size)};
  path = g.pad_to(path, main, out);
  shortcut = g.pad_to(shortcut, cut, out);
  *shape = out;
  return g.relu(g.sum(path, shortcut));
}

Result<cv::dnn::Net> build(const ResNetWeights& w) {
  if (w.convs.size() != 29 || w.fc.size() != 256u * kEmbeddingDim) {
    return make_error("models_unavailable", "unexpected ResNet layout");
  }
  cv::dnn::Net net;
  net.setInputsNames({"chip"});
  GraphBuilder g(net);
  Shape shape{3, static_cast<int>(kChipSize)};
  int x = g.conv(0, &shape, w.convs[0]);
  x = g.pool(g.relu(x), &shape, "max", 3, 2);
  for (size_t c = 1; c + 1 < w.convs.size(); c += 2) {
    x = residual(g, x, &shape, w.convs[c], w.convs[c + 1]);
  }
  x = g.global_average(x);
  g.fully_connected(x, w.fc, shape.channels, kEmbeddingDim);
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  return net;
}

// [n][3][150][150] in dlib's channel order and scaling.
cv::Mat to_blob(const std::vector<const FaceChip*>& chips) {
  const int n = static_cast<int>(chips.size());
  const int side = static_cast<int>(kChipSize);
  const int dims[] = {n, 3, side, side};
  cv::Mat blob(4, dims, CV_32F);
  const size_t plane = static_cast<size_t>(side) * side;
  for (int i = 0; i < n; ++i) {
    float* r = blob.ptr<float>(i);
    float* g = r + plane;
    float* b = g + plane;
    const FaceChip& chip = *chips[i];
    for (long y = 0; y < side; ++y) {
      for (long x = 0; x < side; ++x) {
        const dlib::rgb_pixel& p = chip(y, x);
        const size_t at = static_cast<size_t>(y) * side + x;
        r[at] = (p.red - kMeanRed) / 256.0f;
        g[at] = (p.green - kMeanGreen) / 256.0f;
        b[at] = (p.blue - kMeanBlue) / 256.0f;
      }
    }
  }
  return blob;
}

}  // namespace

struct DnnEmbedder::Impl {
  // Shared by every copy, read-only; each copy builds its own net (copies of a cv::dnn::Net
  // share their state, so they could not run on two threads).
  std::shared_ptr<const ResNetWeights> weights;
  cv::dnn::Net net;
};

DnnEmbedder::DnnEmbedder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DnnEmbedder::~DnnEmbedder() = default;

Result<std::unique_ptr<DnnEmbedder>> DnnEmbedder::create(ResNetWeights weights) {
  return create_shared(std::make_shared<const ResNetWeights>(std::move(weights)));
}

Result<std::unique_ptr<DnnEmbedder>> DnnEmbedder::create_shared(
    std::shared_ptr<const ResNetWeights> weights) {
  auto impl = std::make_unique<Impl>();
  impl->weights = std::move(weights);
  try {
    auto net = build(*impl->weights);
    if (!net) return net.error();
    impl->net = *net;
  } catch (const cv::Exception& e) {
    return make_error("models_unavailable", std::string("ResNet graph: ") + e.what());
  }
  return std::unique_ptr<DnnEmbedder>(new DnnEmbedder(std::move(impl)));
}

std::unique_ptr<DnnEmbedder> DnnEmbedder::clone() const {
  auto copy = create_shared(impl_->weights);
  return copy ? std::move(*copy) : nullptr;  // the same weights built once already
}

Embedding DnnEmbedder::embed(const FaceChip& chip) { return run({&chip}).front(); }

std::vector<Embedding> DnnEmbedder::embed_batch(const std::vector<FaceChip>& chips) {
  std::vector<const FaceChip*> ptrs;
  for (const auto& c : chips) ptrs.push_back(&c);
  return run(ptrs);
}

std::vector<Embedding> DnnEmbedder::run(const std::vector<const FaceChip*>& chips) {
  std::vector<Embedding> out;
  if (chips.empty()) return out;
  impl_->net.setInput(to_blob(chips), "chip");
  const cv::Mat result = impl_->net.forward();  // [n][128]
  for (int i = 0; i < result.rows; ++i) {
    Embedding e{};
    const float* row = result.ptr<float>(i);
    std::copy(row, row + kEmbeddingDim, e.begin());
    out.push_back(e);
  }
  return out;
}

}  // namespace faceid::face
