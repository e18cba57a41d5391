// Passive liveness on the real captures of testdata/liveness (never on the web photos of
// testdata/faces). Asserts the separation honestly reached at the shipped threshold 0.7,
// so that a regression shows; docs/models.md lists every score.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "face/face_engine.h"
#include "test_photos.h"

namespace faceid::face {
namespace {

constexpr double kShippedThreshold = 0.7;

// The crop was calibrated on RFB-320 boxes; HOG boxes (square, tighter) reach the same counts.
class LivenessScorerTest : public ::testing::TestWithParam<const char*> {};

TEST_P(LivenessScorerTest, SeparatesLiveCapturesFromAttacksAtShippedThreshold) {
  EngineOptions options;
  options.models_dir = FACEID_MODELS_DIR;
  options.workers = 1;
  options.detector = GetParam();
  auto engine = load_face_engine(options);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  AnalyzeOptions analyze;
  analyze.liveness = true;
  analyze.enforce_quality = false;

  int live = 0, live_passed = 0, attacks = 0, attacks_failed = 0;
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(testing::testdata("liveness"))) {
    const auto name = e.path().filename().string();
    if (name.rfind("live_", 0) == 0 || name.rfind("attack_", 0) == 0) files.push_back(name);
  }
  std::sort(files.begin(), files.end());
  for (const auto& name : files) {
    // The login path: exactly one dominant face, liveness on, quality reported only.
    const std::string bytes = testing::read_bytes(testing::testdata("liveness/" + name));
    auto face = (*engine)->analyze_single(bytes, analyze);
    ASSERT_TRUE(face.ok()) << name << ": " << face.error().code;
    const double score = face->liveness.value();
    EXPECT_GE(score, 0.0);
    EXPECT_LE(score, 1.0);
    std::printf("%s %-42s live=%.3f\n", GetParam(), name.c_str(), score);
    if (name.rfind("live_", 0) == 0) {
      ++live;
      live_passed += score >= kShippedThreshold;
    } else {
      ++attacks;
      attacks_failed += score < kShippedThreshold;
    }
  }
  EXPECT_EQ(live, 5);
  EXPECT_EQ(attacks, 6);
  EXPECT_EQ(live_passed, 5) << "genuine captures turned away";
  EXPECT_EQ(attacks_failed, 6) << "attacks let through";
}

INSTANTIATE_TEST_SUITE_P(Detectors, LivenessScorerTest, ::testing::Values("cnn", "hog"));

TEST(LivenessOptionTest, NotComputedUnlessRequested) {
  EngineOptions options;
  options.models_dir = FACEID_MODELS_DIR;
  options.workers = 1;
  auto engine = load_face_engine(options);
  ASSERT_TRUE(engine.ok());
  auto face = (*engine)->analyze_single(testing::face_photo("obama_640x480.jpg"), {});
  ASSERT_TRUE(face.ok());
  EXPECT_FALSE(face->liveness.has_value());
}

}  // namespace
}  // namespace faceid::face
