// The tfjs reader and the conversion to dlib: sizes, full consumption of the .bin.
#include "face/tfjs_weights.h"

#include <dlib/image_transforms/assign_image.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "face/face_embedder.h"
#include "face/model_files.h"
#include "test_photos.h"

namespace faceid::face {
namespace {

const ModelFiles kFiles = locate_model_files(FACEID_MODELS_DIR);

TEST(TfjsWeightsTest, ReadsAll117TensorsOfTheResNet) {
  auto tensors = read_tfjs_weights(kFiles.tfjs_manifest);
  ASSERT_TRUE(tensors.ok()) << tensors.error().message;
  ASSERT_EQ(tensors->size(), 117u);
  EXPECT_EQ(tensors->front().name, "conv32_down/conv/filters");
  EXPECT_EQ(tensors->front().shape, (std::vector<int>{7, 7, 3, 32}));
  EXPECT_EQ(tensors->back().name, "fc");
  EXPECT_EQ(tensors->back().shape, (std::vector<int>{256, 128}));
  size_t total = 0;
  for (const auto& t : *tensors) total += t.values.size();
  EXPECT_EQ(total, 5'614'592u);
}

class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() /
              ("faceid_tfjs_" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

TEST(TfjsWeightsTest, ShortOrLongBinFileIsRejected) {
  TempDir dir;
  const auto manifest = std::filesystem::path(kFiles.tfjs_manifest);
  std::filesystem::copy_file(manifest, dir.file(manifest.filename().string()));
  const std::string bin =
      testing::read_bytes((manifest.parent_path() / "face_recognition_model.bin").string());
  {
    std::ofstream(dir.file("face_recognition_model.bin"), std::ios::binary)
        << bin.substr(0, bin.size() - 10);
  }
  auto shorter = read_tfjs_weights(dir.file(manifest.filename().string()));
  ASSERT_FALSE(shorter.ok());
  EXPECT_EQ(shorter.error().code, "models_unavailable");
  { std::ofstream(dir.file("face_recognition_model.bin"), std::ios::binary) << bin << "extra"; }
  auto longer = read_tfjs_weights(dir.file(manifest.filename().string()));
  ASSERT_FALSE(longer.ok());
  EXPECT_NE(longer.error().message.find("not fully consumed"), std::string::npos);
}

TEST(TfjsWeightsTest, ConvertedNetworkLoadsAndEmbeds) {
  TempDir dir;
  ASSERT_TRUE(convert_tfjs_to_dlib(kFiles.tfjs_manifest, dir.file("resnet.dat")).ok());
  auto embedder = FaceEmbedder::load(dir.file("resnet.dat"));
  ASSERT_TRUE(embedder.ok()) << embedder.error().message;
  FaceChip chip(kChipSize, kChipSize);
  dlib::assign_all_pixels(chip, dlib::rgb_pixel(128, 100, 90));
  const Embedding e = (*embedder)->embed(chip);
  double norm = 0;
  for (float v : e) norm += v * v;
  EXPECT_GT(norm, 0.1);  // a real descriptor, not zeros
}

TEST(TfjsWeightsTest, MissingManifestNamesTheFile) {
  auto r = read_tfjs_weights("/nonexistent/manifest.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "models_unavailable");
  EXPECT_NE(r.error().message.find("/nonexistent/manifest.json"), std::string::npos);
}

}  // namespace
}  // namespace faceid::face
