// TensorFlow.js weight reader. A manifest entry is either plain float32 (4 bytes per value)
// or uint8-quantized (value = q * scale + min, 1 byte per value); the .bin is the
// concatenation of all tensors in manifest order.
#include "face/tfjs_weights.h"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

namespace faceid::face {
namespace {

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("models_unavailable", "cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Error bad_manifest(const std::string& why) {
  return make_error("models_unavailable", "invalid tfjs weights: " + why);
}

}  // namespace

Result<std::vector<TfjsTensor>> read_tfjs_weights(const std::string& manifest_path) {
  auto manifest_text = read_file(manifest_path);
  if (!manifest_text) return manifest_text.error();
  const nlohmann::json manifest = nlohmann::json::parse(*manifest_text, nullptr, false);
  if (manifest.is_discarded() || !manifest.is_array()) return bad_manifest("manifest not JSON");

  const auto dir = std::filesystem::path(manifest_path).parent_path();
  std::vector<TfjsTensor> tensors;
  for (const auto& group : manifest) {
    std::string data;
    for (const auto& shard : group.value("paths", nlohmann::json::array())) {
      auto bytes = read_file((dir / shard.get<std::string>()).string());
      if (!bytes) return bytes.error();
      data += *bytes;
    }
    size_t offset = 0;
    for (const auto& w : group.value("weights", nlohmann::json::array())) {
      TfjsTensor t;
      t.name = w.value("name", "");
      size_t count = 1;
      for (const auto& d : w.at("shape")) {
        t.shape.push_back(d.get<int>());
        count *= static_cast<size_t>(d.get<int>());
      }
      t.values.resize(count);
      if (w.contains("quantization")) {
        const auto& q = w["quantization"];
        if (q.value("dtype", "") != "uint8") return bad_manifest(t.name + ": not uint8");
        const double scale = q.at("scale").get<double>();
        const double min = q.at("min").get<double>();
        if (offset + count > data.size()) return bad_manifest(t.name + ": .bin too short");
        for (size_t i = 0; i < count; ++i) {
          const auto byte = static_cast<uint8_t>(data[offset + i]);
          t.values[i] = static_cast<float>(byte * scale + min);
        }
        offset += count;
      } else {
        if (w.value("dtype", "") != "float32") return bad_manifest(t.name + ": not float32");
        if (offset + 4 * count > data.size()) return bad_manifest(t.name + ": .bin too short");
        std::memcpy(t.values.data(), data.data() + offset, 4 * count);  // little-endian host
        offset += 4 * count;
      }
      tensors.push_back(std::move(t));
    }
    if (offset != data.size()) {
      return bad_manifest("weights file not fully consumed (" + std::to_string(offset) + " of " +
                          std::to_string(data.size()) + " bytes)");
    }
  }
  return tensors;
}

}  // namespace faceid::face
