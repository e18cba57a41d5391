// The network mirrors anet_type in face_embedder.cpp layer by layer, in oneDNN primitives on
// a channel-blocked layout (nChw16c: every feature map here has 32-256 channels). Two dlib
// behaviours need spelling out:
//   - dlib pads a convolution or pooling by size/2 only when its stride is 1, and its pooling
//     rounds output sizes down.
//   - dlib's add_prev adds tensors of different shapes by treating what is missing as zero.
//     In a down-sampling block the shortcut (2x2 average pool) has half the channels and,
//     from 8x8 inputs down, one more row and column than the 3x3/2 convolution path; those
//     three sums are done by hand. Every other block adds in place, fused into its second
//     convolution (post-ops: sum, then relu).
#include "face/dnn_embedder.h"

#include <omp.h>

#include <algorithm>
#include <dnnl.hpp>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace faceid::face {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto kF32 = memory::data_type::f32;
constexpr int kBlock = 16;  // channels per block of nChw16c

// dlib's input_rgb_image: (pixel - channel mean) / 256, channels R, G, B.
constexpr float kMeanRed = 122.782f;
constexpr float kMeanGreen = 117.001f;
constexpr float kMeanBlue = 104.298f;

struct Shape {
  int channels;
  int size;  // square feature maps
};

memory::desc blocked(Shape s) { return {{1, s.channels, s.size, s.size}, kF32, Tag::nChw16c}; }

}  // namespace

// One convolution's weights in the layout its primitive chose; shared by every copy.
struct DnnEmbedder::PackedConv {
  int filters = 0, channels = 0, size = 0, stride = 1;
  memory::desc weights_desc;
  std::vector<float> weights;
  std::vector<float> bias;
};

struct DnnEmbedder::Packed {
  std::vector<PackedConv> convs;
  std::vector<float> fc;  // [256 inputs][128 outputs]
};

struct DnnEmbedder::Impl {
  // A primitive and the buffers it reads and writes (memory objects are handles).
  struct Step {
    dnnl::primitive primitive;
    std::unordered_map<int, memory> args;  // DNNL_ARG_* -> buffer
  };
  // A down-sampling block's sum of unequal shapes, done by hand (see the top of the file).
  struct PaddedSum {
    int main, shortcut, out;  // buffers
    Shape main_shape, cut_shape, out_shape;
  };
  // What run() does, in order: steps[index] or sums[index].
  struct Action {
    bool is_sum;
    size_t index;
  };

  std::shared_ptr<Packed>
      packed;  // the weights this copy's buffers point into; read-only once built
  int threads = 0;
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  std::vector<memory> buffers;
  std::vector<Step> steps;
  std::vector<PaddedSum> sums;
  std::vector<Action> actions;
  int input = -1, output = -1;
  Shape output_shape{};

  const memory& at(int buffer) const { return buffers[static_cast<size_t>(buffer)]; }

  int buffer(const memory::desc& d) {
    buffers.emplace_back(d, engine);
    return static_cast<int>(buffers.size()) - 1;
  }

  // A convolution (dlib's padding rule) with the given post-ops, reading buffer `in`; writes
  // a new buffer, or `into` when given (an in-place sum). `source` set: packs its weights.
  int conv(int in, Shape* shape, PackedConv& c, const ResNetConv* source, const dnnl::post_ops& ops,
           int into = -1) {
    const int pad = c.stride == 1 ? c.size / 2 : 0;
    const Shape out{c.filters, (shape->size + 2 * pad - c.size) / c.stride + 1};
    const memory::desc src = buffers[static_cast<size_t>(in)].get_desc();
    const memory::desc weights({c.filters, c.channels, c.size, c.size}, kF32, Tag::any);
    const memory::desc bias({c.filters}, kF32, Tag::a);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    const dnnl::convolution_forward::primitive_desc pd({dnnl::prop_kind::forward_inference,
                                                        dnnl::algorithm::convolution_direct,
                                                        src,
                                                        weights,
                                                        bias,
                                                        blocked(out),
                                                        {c.stride, c.stride},
                                                        {pad, pad},
                                                        {pad, pad}},
                                                       attr, engine);
    if (source != nullptr) {
      c.weights_desc = pd.weights_desc();
      c.weights.resize(c.weights_desc.get_size() / sizeof(float));
      memory plain({{c.filters, c.channels, c.size, c.size}, kF32, Tag::oihw}, engine,
                   const_cast<float*>(source->weights.data()));
      memory packed_weights(c.weights_desc, engine, c.weights.data());
      dnnl::reorder(plain, packed_weights).execute(stream, plain, packed_weights);
      stream.wait();
      c.bias = source->bias;
    } else if (pd.weights_desc() != c.weights_desc) {
      throw dnnl::error(dnnl_runtime_error, "weights layout differs between copies");
    }
    const int w = static_cast<int>(buffers.size());
    buffers.emplace_back(c.weights_desc, engine, c.weights.data());
    const int b = static_cast<int>(buffers.size());
    buffers.emplace_back(bias, engine, c.bias.data());
    const int dst = into >= 0 ? into : buffer(pd.dst_desc());
    add({dnnl::convolution_forward(pd),
         {{DNNL_ARG_SRC, at(in)},
          {DNNL_ARG_WEIGHTS, at(w)},
          {DNNL_ARG_BIAS, at(b)},
          {DNNL_ARG_DST, at(dst)}}});
    *shape = out;
    return dst;
  }

  int pool(int in, Shape* shape, dnnl::algorithm kind, int size, int stride) {
    const Shape out{shape->channels, (shape->size - size) / stride + 1};  // rounds down
    const dnnl::pooling_forward::primitive_desc pd({dnnl::prop_kind::forward_inference,
                                                    kind,
                                                    buffers[static_cast<size_t>(in)].get_desc(),
                                                    blocked(out),
                                                    {stride, stride},
                                                    {size, size},
                                                    {0, 0},
                                                    {0, 0}},
                                                   engine);
    const int dst = buffer(pd.dst_desc());
    add({dnnl::pooling_forward(pd), {{DNNL_ARG_SRC, at(in)}, {DNNL_ARG_DST, at(dst)}}});
    *shape = out;
    return dst;
  }

  void add(Step step) {
    actions.push_back({false, steps.size()});
    steps.push_back(std::move(step));
  }

  // Plain NCHW input, reordered into the first convolution's layout by that convolution.
  // With `source`, fills `packing` (this copy's weights, later shared); else uses `packed`.
  void build(Packed& weights, const ResNetWeights* source) {
    auto src = [&](size_t i) { return source ? &source->convs[i] : nullptr; };
    Shape shape{3, static_cast<int>(kChipSize)};
    input = buffer({{1, 3, shape.size, shape.size}, kF32, Tag::nchw});
    dnnl::post_ops relu;
    relu.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    dnnl::post_ops sum_relu;
    sum_relu.append_sum(1.f);
    sum_relu.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    auto& convs = weights.convs;
    int x = conv(input, &shape, convs[0], src(0), relu);
    x = pool(x, &shape, dnnl::algorithm::pooling_max, 3, 2);
    for (size_t c = 1; c + 1 < convs.size(); c += 2) {
      const Shape in = shape;
      Shape main = in;
      const int path = conv(x, &main, convs[c], src(c), relu);
      if (convs[c].stride == 1 && main.channels == in.channels) {
        x = conv(path, &main, convs[c + 1], src(c + 1), sum_relu, /*into=*/x);  // x += f(x)
        shape = main;
        continue;
      }
      const int m = conv(path, &main, convs[c + 1], src(c + 1), dnnl::post_ops());
      Shape cut = in;
      const int shortcut = pool(x, &cut, dnnl::algorithm::pooling_avg_exclude_padding, 2, 2);
      const Shape out{std::max(main.channels, cut.channels), std::max(main.size, cut.size)};
      const int o = buffer(blocked(out));
      actions.push_back({true, sums.size()});
      sums.push_back({m, shortcut, o, main, cut, out});
      x = o;
      shape = out;
    }
    output = x;
    output_shape = shape;
  }

  // out = relu(pad(main) + pad(shortcut)), all nChw16c.
  void padded_sum(const PaddedSum& s) {
    auto* out = static_cast<float*>(buffers[static_cast<size_t>(s.out)].get_data_handle());
    const size_t plane = static_cast<size_t>(s.out_shape.size) * s.out_shape.size;
    std::fill(out, out + plane * static_cast<size_t>(s.out_shape.channels), 0.f);
    for (const auto& [buf, shape] : {std::pair{s.main, s.main_shape}, {s.shortcut, s.cut_shape}}) {
      const auto* in =
          static_cast<const float*>(buffers[static_cast<size_t>(buf)].get_data_handle());
      for (int cb = 0; cb < shape.channels / kBlock; ++cb) {
        for (int y = 0; y < shape.size; ++y) {
          for (int xx = 0; xx < shape.size; ++xx) {
            const float* from =
                in + ((static_cast<size_t>(cb) * shape.size + y) * shape.size + xx) * kBlock;
            float* to =
                out +
                ((static_cast<size_t>(cb) * s.out_shape.size + y) * s.out_shape.size + xx) * kBlock;
            for (int k = 0; k < kBlock; ++k) to[k] += from[k];
          }
        }
      }
    }
    for (size_t i = 0; i < plane * static_cast<size_t>(s.out_shape.channels); ++i) {
      out[i] = std::max(out[i], 0.f);
    }
  }

  Embedding run(const FaceChip& chip) {
    if (threads > 0) omp_set_num_threads(threads);  // per calling thread in OpenMP
    auto* r = static_cast<float*>(buffers[static_cast<size_t>(input)].get_data_handle());
    const size_t plane = static_cast<size_t>(kChipSize) * kChipSize;
    float* g = r + plane;
    float* b = g + plane;
    for (long y = 0; y < static_cast<long>(kChipSize); ++y) {
      for (long x = 0; x < static_cast<long>(kChipSize); ++x) {
        const dlib::rgb_pixel& p = chip(y, x);
        const size_t i = static_cast<size_t>(y) * kChipSize + static_cast<size_t>(x);
        r[i] = (p.red - kMeanRed) / 256.0f;
        g[i] = (p.green - kMeanGreen) / 256.0f;
        b[i] = (p.blue - kMeanBlue) / 256.0f;
      }
    }
    for (const Action& a : actions) {
      if (a.is_sum) {
        stream.wait();
        padded_sum(sums[a.index]);
        continue;
      }
      const Step& s = steps[a.index];
      s.primitive.execute(stream, s.args);
    }
    stream.wait();
    // Global average pool, then the fully connected layer (no bias).
    const auto* f =
        static_cast<const float*>(buffers[static_cast<size_t>(output)].get_data_handle());
    const int side = output_shape.size;
    std::vector<float> avg(static_cast<size_t>(output_shape.channels), 0.f);
    for (int c = 0; c < output_shape.channels; ++c) {
      const float* block = f + static_cast<size_t>(c / kBlock) * side * side * kBlock + c % kBlock;
      float sum = 0;
      for (int i = 0; i < side * side; ++i) sum += block[static_cast<size_t>(i) * kBlock];
      avg[static_cast<size_t>(c)] = sum / static_cast<float>(side * side);
    }
    Embedding e{};
    for (int i = 0; i < output_shape.channels; ++i) {
      const float* row = packed->fc.data() + static_cast<size_t>(i) * kEmbeddingDim;
      for (int o = 0; o < kEmbeddingDim; ++o)
        e[static_cast<size_t>(o)] += avg[static_cast<size_t>(i)] * row[o];
    }
    return e;
  }
};

DnnEmbedder::DnnEmbedder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DnnEmbedder::~DnnEmbedder() = default;

Result<std::unique_ptr<DnnEmbedder>> DnnEmbedder::create(const ResNetWeights& weights,
                                                         int threads) {
  const bool blocks_fit = std::all_of(weights.convs.begin(), weights.convs.end(),
                                      [](const ResNetConv& c) { return c.filters % kBlock == 0; });
  if (weights.convs.size() != 29 || weights.fc.size() != size_t{256} * kEmbeddingDim ||
      !blocks_fit) {
    return make_error("models_unavailable", "unexpected ResNet layout");
  }
  auto packed = std::make_shared<Packed>();
  for (const ResNetConv& c : weights.convs) {
    PackedConv p;
    p.filters = c.filters;
    p.channels = c.channels;
    p.size = c.size;
    p.stride = c.stride;
    packed->convs.push_back(std::move(p));
  }
  packed->fc = weights.fc;
  return make(std::move(packed), &weights, threads);
}

Result<std::unique_ptr<DnnEmbedder>> DnnEmbedder::make(std::shared_ptr<Packed> packed,
                                                       const ResNetWeights* source, int threads) {
  auto impl = std::make_unique<Impl>();
  impl->threads = threads;
  try {
    impl->build(*packed, source);
  } catch (const dnnl::error& e) {
    return make_error("models_unavailable", std::string("ResNet in oneDNN: ") + e.what());
  }
  impl->packed = std::move(packed);  // read-only from here on, shared by every copy
  return std::unique_ptr<DnnEmbedder>(new DnnEmbedder(std::move(impl)));
}

std::unique_ptr<DnnEmbedder> DnnEmbedder::clone() const {
  auto copy = make(impl_->packed, nullptr, impl_->threads);
  return copy ? std::move(*copy) : nullptr;  // the same network built once already
}

Embedding DnnEmbedder::embed(const FaceChip& chip) { return impl_->run(chip); }

// One chip at a time: on the service's one core per worker a batch saves nothing.
std::vector<Embedding> DnnEmbedder::embed_batch(const std::vector<FaceChip>& chips) {
  std::vector<Embedding> out;
  out.reserve(chips.size());
  for (const FaceChip& chip : chips) out.push_back(impl_->run(chip));
  return out;
}

}  // namespace faceid::face
