// `faceid embed` / `compare` / `models` output, parsed back as JSON.
#include "cli/face_commands.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_photos.h"

namespace faceid::cli {
namespace {

face::EngineOptions options() {
  face::EngineOptions o;
  o.models_dir = FACEID_MODELS_DIR;
  o.workers = 1;
  return o;
}

std::vector<nlohmann::json> lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(FaceCommandsTest, EmbedPrintsOneJsonLinePerImage) {
  const std::string text_file =
      (std::filesystem::temp_directory_path() / ("faceid_not_image_" + std::to_string(::getpid())))
          .string();
  std::ofstream(text_file) << "just text";
  std::ostringstream out;
  const int rc = run_embed(options(),
                           {face::testing::testdata("faces/obama_640x480.jpg"),
                            face::testing::testdata("faces/group_obama_biden.jpg"), text_file},
                           /*liveness=*/true, out);
  std::filesystem::remove(text_file);
  EXPECT_EQ(rc, 1);  // one image failed
  const auto j = lines(out.str());
  ASSERT_EQ(j.size(), 3u);
  ASSERT_EQ(j[0]["faces"].size(), 1u);
  const auto& face = j[0]["faces"][0];
  EXPECT_EQ(face["box"].size(), 4u);
  EXPECT_EQ(face["embedding"].size(), 128u);
  EXPECT_TRUE(face["liveness"].is_number());
  EXPECT_TRUE(face["quality"]["passed"].get<bool>());
  EXPECT_GT(face["score"].get<double>(), 0.9);
  EXPECT_EQ(j[1]["faces"].size(), 2u);
  EXPECT_EQ(j[2]["error"]["code"], "unsupported_image");
  EXPECT_EQ(out.str().rfind("{\"file\":", 0), 0u);  // "file" comes first
}

TEST(FaceCommandsTest, CompareSaysMatchForSamePersonOnly) {
  std::ostringstream same, other;
  EXPECT_EQ(run_compare(options(), face::testing::testdata("faces/obama_1.jpg"),
                        face::testing::testdata("faces/obama_2.jpg"), 0.6, same),
            0);
  EXPECT_EQ(run_compare(options(), face::testing::testdata("faces/obama_1.jpg"),
                        face::testing::testdata("faces/biden_1.jpg"), 0.6, other),
            0);
  const auto s = nlohmann::json::parse(same.str());
  const auto o = nlohmann::json::parse(other.str());
  EXPECT_TRUE(s["match"].get<bool>());
  EXPECT_FALSE(o["match"].get<bool>());
  EXPECT_DOUBLE_EQ(s["threshold"].get<double>(), 0.6);
  EXPECT_LT(s["distance"].get<double>(), o["distance"].get<double>());
}

TEST(FaceCommandsTest, CompareReportsWhichFileFailed) {
  std::ostringstream out;
  EXPECT_EQ(run_compare(options(), "/nonexistent.jpg", face::testing::testdata("faces/obama_1.jpg"),
                        0.6, out),
            1);
  const auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["file"], "/nonexistent.jpg");
  EXPECT_EQ(j["error"]["code"], "file_not_found");
}

TEST(FaceCommandsTest, PrepareModelsListsWhatItLoaded) {
  std::ostringstream out;
  ASSERT_EQ(run_prepare_models(options(), out), 0) << out.str();
  const auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["model_version"], "dlib-resnet-v1");
  EXPECT_GE(j["loaded"].size(), 4u);
  EXPECT_GT(j["total_ms"].get<double>(), 0);
}

}  // namespace
}  // namespace faceid::cli
