// The HOG detector's cached copy must be the same detector, and a damaged copy is rebuilt.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "face/face_detector.h"
#include "face/image_decoder.h"
#include "test_photos.h"

namespace faceid::face {
namespace {

std::vector<Detection> detect_with(const std::string& cache, const cv::Mat& image) {
  auto detector = make_face_detector("hog", "", cache);
  EXPECT_TRUE(detector.ok());
  return (*detector)->detect(image, {true});
}

TEST(HogDetectorCacheTest, TheCachedDetectorFindsTheSameFacesAndADamagedCopyIsRebuilt) {
  char tmpl[] = "/tmp/faceid-hog-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const std::string cache = dir + "/cache/frontal_face_detector.dat";
  auto image = decode_image(testing::face_photo("group_obama_biden.jpg"), {});
  ASSERT_TRUE(image.ok());

  const auto built = detect_with(cache, image->bgr);  // builds, writes the copy
  ASSERT_TRUE(std::filesystem::exists(cache));
  ASSERT_GE(built.size(), 2u);
  const auto cached = detect_with(cache, image->bgr);  // reads it
  ASSERT_EQ(cached.size(), built.size());
  for (size_t i = 0; i < built.size(); ++i) {
    EXPECT_EQ(cached[i].box, built[i].box);
    EXPECT_EQ(cached[i].score, built[i].score);
  }

  const auto size = std::filesystem::file_size(cache);
  {
    std::fstream f(cache, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.put('\x5a');
  }
  const auto damaged = detect_with(cache, image->bgr);  // refused, rebuilt, rewritten
  ASSERT_EQ(damaged.size(), built.size());
  for (size_t i = 0; i < built.size(); ++i) EXPECT_EQ(damaged[i].box, built[i].box);
  std::ifstream in(cache, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.size(), size);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace faceid::face
