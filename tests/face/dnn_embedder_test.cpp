// DnnEmbedder must be the dlib ResNet, not an approximation of it: same descriptors (to float
// rounding) on real photos, hence the same distances and the same threshold.
#include "face/dnn_embedder.h"

#include <dlib/image_transforms/assign_image.h>
#include <dlib/opencv/cv_image.h>
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "face/face_embedder.h"
#include "face/model_files.h"
#include "test_photos.h"

namespace faceid::face {
namespace {

// The photo's central square at 150x150: a face chip in all but alignment, which is beside
// the point here (both executors get the same pixels).
FaceChip chip_of(const std::string& file) {
  const cv::Mat bgr = cv::imread(testing::testdata("faces/" + file), cv::IMREAD_COLOR);
  const int side = std::min(bgr.cols, bgr.rows);
  cv::Mat square;
  cv::resize(bgr(cv::Rect((bgr.cols - side) / 2, (bgr.rows - side) / 2, side, side)), square,
             cv::Size(kChipSize, kChipSize), 0, 0, cv::INTER_AREA);
  FaceChip chip;
  dlib::assign_image(chip, dlib::cv_image<dlib::bgr_pixel>(square));
  return chip;
}

class DnnEmbedderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dlib_net = FaceEmbedder::load(locate_model_files(FACEID_MODELS_DIR).resnet_dat);
    ASSERT_TRUE(dlib_net.ok()) << dlib_net.error().message;
    reference_ = std::move(*dlib_net);
    auto dnn = DnnEmbedder::create(reference_->weights());
    ASSERT_TRUE(dnn.ok()) << dnn.error().message;
    dnn_ = std::move(*dnn);
  }
  std::unique_ptr<FaceEmbedder> reference_;
  std::unique_ptr<DnnEmbedder> dnn_;
};

const char* const kPhotos[] = {"obama_1.jpg",          "obama_2.jpg",         "biden_1.jpg",
                               "biden_2.jpg",          "kit_harington_1.jpg", "rose_leslie_1.jpg",
                               "alex_lacamoire_1.jpg", "obama_640x480.jpg"};

TEST_F(DnnEmbedderTest, GivesDlibsDescriptorsOnRealPhotos) {
  std::vector<Embedding> ours, theirs;
  for (const char* photo : kPhotos) {
    const FaceChip chip = chip_of(photo);
    ours.push_back(dnn_->embed(chip));
    theirs.push_back(reference_->embed(chip));
    float worst = 0;
    for (int i = 0; i < kEmbeddingDim; ++i) {
      worst = std::max(worst, std::fabs(ours.back()[i] - theirs.back()[i]));
    }
    EXPECT_LT(worst, 1e-4) << photo;
  }
  for (size_t a = 0; a < ours.size(); ++a) {
    for (size_t b = a + 1; b < ours.size(); ++b) {
      EXPECT_NEAR(embedding_distance(ours[a], ours[b]), embedding_distance(theirs[a], theirs[b]),
                  1e-4)
          << kPhotos[a] << " vs " << kPhotos[b];
    }
  }
}

TEST_F(DnnEmbedderTest, BatchesAndClonesGiveTheSameDescriptors) {
  std::vector<FaceChip> chips;
  for (const char* photo : kPhotos) chips.push_back(chip_of(photo));
  const std::vector<Embedding> batch = dnn_->embed_batch(chips);
  auto copy = dnn_->clone();
  ASSERT_NE(copy, nullptr);
  ASSERT_EQ(batch.size(), chips.size());
  for (size_t i = 0; i < chips.size(); ++i) {
    const Embedding one = copy->embed(chips[i]);
    for (int k = 0; k < kEmbeddingDim; ++k) EXPECT_NEAR(batch[i][k], one[k], 1e-5) << kPhotos[i];
  }
  EXPECT_TRUE(dnn_->embed_batch({}).empty());
}

TEST(DnnEmbedderLayoutTest, AWrongLayoutIsAModelError) {
  ResNetWeights broken;
  broken.convs.resize(3);
  auto r = DnnEmbedder::create(broken);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "models_unavailable");
}

}  // namespace
}  // namespace faceid::face
