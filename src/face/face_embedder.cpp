// dlib's ResNet-29 face recognition network (anet_type from dlib's
// examples/dnn_face_recognition_ex.cpp, public domain weights by Davis King) and the one-off
// conversion of the face-api.js tfjs copy of its weights. The only dlib/dnn.h user.
#include "face/face_embedder.h"

#include <dlib/dnn.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <type_traits>

#include "face/tfjs_weights.h"

namespace faceid::face {
namespace {

using namespace dlib;  // NOLINT(google-build-using-namespace): the network DSL reads badly
                       // otherwise

// clang-format off
template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual = add_prev1<block<N, BN, 1, tag1<SUBNET>>>;

template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual_down = add_prev2<avg_pool<2, 2, 2, 2, skip1<tag2<block<N, BN, 2, tag1<SUBNET>>>>>>;

template <int N, template <typename> class BN, int stride, typename SUBNET>
using block = BN<con<N, 3, 3, 1, 1, relu<BN<con<N, 3, 3, stride, stride, SUBNET>>>>>;

template <int N, typename SUBNET> using ares = relu<residual<block, N, affine, SUBNET>>;
template <int N, typename SUBNET> using ares_down = relu<residual_down<block, N, affine, SUBNET>>;

template <typename SUBNET> using alevel0 = ares_down<256, SUBNET>;
template <typename SUBNET> using alevel1 = ares<256, ares<256, ares_down<256, SUBNET>>>;
template <typename SUBNET> using alevel2 = ares<128, ares<128, ares_down<128, SUBNET>>>;
template <typename SUBNET> using alevel3 = ares<64, ares<64, ares<64, ares_down<64, SUBNET>>>>;
template <typename SUBNET> using alevel4 = ares<32, ares<32, ares<32, SUBNET>>>;

using anet_type = loss_metric<fc_no_bias<128, avg_pool_everything<
                  alevel0<alevel1<alevel2<alevel3<alevel4<
                  max_pool<3, 3, 2, 2, relu<affine<con<32, 7, 7, 2, 2,
                  input_rgb_image_sized<150>>>>>>>>>>>>>;
// clang-format on

constexpr int kNumConvolutions = 29;

struct ConRef {
  tensor* params;
  long filters;
  long rows;
  long cols;
  long stride;
};

// The network's learnable layers in input-to-output order. dlib's visitors walk from the
// output towards the input, so the vectors are reversed at the end.
struct NetLayers {
  std::vector<ConRef> cons;
  std::vector<affine_*> affines;
  tensor* fc = nullptr;
};

NetLayers collect_layers(anet_type& net) {
  NetLayers layers;
  visit_computational_layers(net, [&](auto& l) {
    using L = std::decay_t<decltype(l)>;
    if constexpr (std::is_same_v<L, affine_>) {
      layers.affines.push_back(&l);
    } else if constexpr (requires {
                           l.num_filters();
                           l.stride_y();
                         }) {
      layers.cons.push_back({&l.get_layer_params(), l.num_filters(), l.nr(), l.nc(), l.stride_y()});
    } else if constexpr (requires { l.get_num_outputs(); }) {
      layers.fc = &l.get_layer_params();
    }
  });
  std::reverse(layers.cons.begin(), layers.cons.end());
  std::reverse(layers.affines.begin(), layers.affines.end());
  return layers;
}

Error conversion_error(const std::string& why) {
  return make_error("models_unavailable", "tfjs -> dlib conversion failed: " + why);
}

// Copies one tfjs conv (filters [kh][kw][in][out] + bias [out]) into a dlib con_ parameter
// tensor (filters [out][in][kh][kw] followed by bias [out]).
Status copy_conv(const TfjsTensor& filters, const TfjsTensor& bias, const ConRef& con) {
  if (filters.shape.size() != 4) return conversion_error(filters.name + ": not 4-d");
  const long kh = filters.shape[0], kw = filters.shape[1], in = filters.shape[2],
             out = filters.shape[3];
  if (kh != con.rows || kw != con.cols || out != con.filters ||
      static_cast<long>(con.params->size()) != out * in * kh * kw + out ||
      static_cast<long>(bias.values.size()) != out) {
    return conversion_error(filters.name + ": shape does not match the dlib layer");
  }
  float* dst = con.params->host();
  for (long o = 0; o < out; ++o)
    for (long i = 0; i < in; ++i)
      for (long y = 0; y < kh; ++y)
        for (long x = 0; x < kw; ++x)
          dst[((o * in + i) * kh + y) * kw + x] = filters.values[((y * kw + x) * in + i) * out + o];
  std::copy(bias.values.begin(), bias.values.end(), dst + out * in * kh * kw);
  return Status::Ok();
}

Status copy_affine(const TfjsTensor& weights, const TfjsTensor& biases, affine_& affine) {
  auto gamma = affine.get_gamma();
  auto beta = affine.get_beta();
  if (gamma.size() != weights.values.size() || beta.size() != biases.values.size()) {
    return conversion_error(weights.name + ": size does not match the dlib affine layer");
  }
  std::copy(weights.values.begin(), weights.values.end(), gamma.host());
  std::copy(biases.values.begin(), biases.values.end(), beta.host());
  return Status::Ok();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Status copy_all(const std::vector<TfjsTensor>& tensors, NetLayers& layers) {
  const size_t expected = kNumConvolutions * 4 + 1;
  if (tensors.size() != expected) {
    return conversion_error("expected " + std::to_string(expected) + " tensors, manifest has " +
                            std::to_string(tensors.size()));
  }
  if (layers.cons.size() != kNumConvolutions || layers.affines.size() != kNumConvolutions ||
      layers.fc == nullptr) {
    return conversion_error("unexpected dlib network layout");
  }
  for (int c = 0; c < kNumConvolutions; ++c) {
    const auto& f = tensors[4 * c];
    const auto& b = tensors[4 * c + 1];
    const auto& sw = tensors[4 * c + 2];
    const auto& sb = tensors[4 * c + 3];
    if (!ends_with(f.name, "/filters") || !ends_with(b.name, "/bias") ||
        !ends_with(sw.name, "scale/weights") || !ends_with(sb.name, "scale/biases")) {
      return conversion_error("unexpected tensor order at " + f.name);
    }
    if (auto s = copy_conv(f, b, layers.cons[c]); !s) return s;
    if (auto s = copy_affine(sw, sb, *layers.affines[c]); !s) return s;
  }
  const auto& fc = tensors.back();
  if (fc.shape != std::vector<int>{256, 128} || layers.fc->size() != fc.values.size()) {
    return conversion_error("fc: shape does not match");
  }
  // dlib's fc_no_bias multiplies input [1 x in] by params [in x out]: same layout as tfjs.
  std::copy(fc.values.begin(), fc.values.end(), layers.fc->host());
  return Status::Ok();
}

}  // namespace

struct FaceEmbedder::Impl {
  anet_type net;
};

FaceEmbedder::FaceEmbedder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FaceEmbedder::~FaceEmbedder() = default;

Result<std::unique_ptr<FaceEmbedder>> FaceEmbedder::load(const std::string& dat_path) {
  auto impl = std::make_unique<Impl>();
  try {
    deserialize(dat_path) >> impl->net;
  } catch (const std::exception& e) {
    return make_error("models_unavailable", "cannot load " + dat_path + ": " + e.what());
  }
  return std::unique_ptr<FaceEmbedder>(new FaceEmbedder(std::move(impl)));
}

std::unique_ptr<FaceEmbedder> FaceEmbedder::clone() const {
  return std::unique_ptr<FaceEmbedder>(new FaceEmbedder(std::make_unique<Impl>(*impl_)));
}

Embedding FaceEmbedder::embed(const FaceChip& chip) {
  const matrix<float, 0, 1> d = impl_->net(chip);
  Embedding e{};
  for (int i = 0; i < kEmbeddingDim; ++i) e[i] = d(i);
  return e;
}

std::vector<Embedding> FaceEmbedder::embed_batch(const std::vector<FaceChip>& chips) {
  std::vector<Embedding> out;
  if (chips.empty()) return out;
  const std::vector<matrix<float, 0, 1>> ds = impl_->net(chips, 8);
  for (const auto& d : ds) {
    Embedding e{};
    for (int i = 0; i < kEmbeddingDim; ++i) e[i] = d(i);
    out.push_back(e);
  }
  return out;
}

ResNetWeights FaceEmbedder::weights() {
  NetLayers layers = collect_layers(impl_->net);
  ResNetWeights out;
  for (size_t c = 0; c < layers.cons.size(); ++c) {
    const ConRef& con = layers.cons[c];
    const long k = con.rows;
    const long per_filter = (static_cast<long>(con.params->size()) - con.filters) / con.filters;
    ResNetConv conv;
    conv.filters = static_cast<int>(con.filters);
    conv.channels = static_cast<int>(per_filter / (k * k));
    conv.size = static_cast<int>(k);
    conv.stride = static_cast<int>(con.stride);
    const float* p = con.params->host();
    const float* gamma = layers.affines[c]->get_gamma().host();
    const float* beta = layers.affines[c]->get_beta().host();
    conv.weights.resize(con.filters * per_filter);
    conv.bias.resize(con.filters);
    for (long f = 0; f < con.filters; ++f) {
      for (long i = 0; i < per_filter; ++i) {
        conv.weights[f * per_filter + i] = p[f * per_filter + i] * gamma[f];
      }
      conv.bias[f] = p[con.filters * per_filter + f] * gamma[f] + beta[f];
    }
    out.convs.push_back(std::move(conv));
  }
  out.fc.assign(layers.fc->host(), layers.fc->host() + layers.fc->size());
  return out;
}

Status convert_tfjs_to_dlib(const std::string& manifest_path, const std::string& out_dat_path) {
  auto tensors = read_tfjs_weights(manifest_path);
  if (!tensors) return tensors.error();
  try {
    anet_type net;
    // A default affine_ is in FC mode (per-pixel gamma); dlib's trained model uses CONV mode
    // (per-channel), so swap them before the first forward pass sizes the tensors.
    visit_computational_layers(net, [](auto& l) {
      if constexpr (std::is_same_v<std::decay_t<decltype(l)>, affine_>) l = affine_(CONV_MODE);
    });
    FaceChip dummy(kChipSize, kChipSize);
    assign_all_pixels(dummy, rgb_pixel(0, 0, 0));
    net(dummy);  // parameter tensors exist only after one forward pass
    NetLayers layers = collect_layers(net);
    if (auto s = copy_all(*tensors, layers); !s) return s;
    net.clean();
    const std::string tmp = out_dat_path + ".tmp";
    std::filesystem::create_directories(std::filesystem::path(out_dat_path).parent_path());
    serialize(tmp) << net;
    std::filesystem::rename(tmp, out_dat_path);
  } catch (const std::exception& e) {
    return conversion_error(e.what());
  }
  return Status::Ok();
}

}  // namespace faceid::face
