// planar_fit on synthetic images: a textured picture and the same picture under a
// perspective warp (a photo tilted in front of the camera) fit one homography almost
// perfectly; a view whose content changed inside the face does not.
#include "liveness/planar_fit.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "liveness/synthetic_face.h"

namespace faceid::liveness {
namespace {

cv::Mat texture(int seed) {
  cv::Mat noise(480, 640, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(noise, cv::RNG::UNIFORM, 0, 255);
  cv::GaussianBlur(noise, noise, cv::Size(0, 0), 3);
  cv::normalize(noise, noise, 0, 255, cv::NORM_MINMAX);
  return noise;
}

const cv::Matx33d kTilt(0.92, 0.04, 25, -0.03, 0.98, 12, 0.00025, 0.00005, 1.0);

TEST(PlanarFitTest, APictureUnderAPerspectiveWarpFitsOneHomography) {
  const cv::Mat image = texture(1);
  const auto lm = testing::project(testing::face_model(), 0);
  cv::Mat tilted;
  cv::warpPerspective(image, tilted, cv::Mat(kTilt), image.size());
  const auto tilted_lm =
      testing::warp(lm, {kTilt(0, 0), kTilt(0, 1), kTilt(0, 2), kTilt(1, 0), kTilt(1, 1),
                         kTilt(1, 2), kTilt(2, 0), kTilt(2, 1), kTilt(2, 2)});
  EXPECT_GT(planar_fit(image, lm, tilted, tilted_lm), 0.97);
  EXPECT_GT(planar_fit(image, lm, image, lm), 0.999);
}

TEST(PlanarFitTest, ContentThatDoesNotFollowTheHomographyFitsBadly) {
  const auto lm = testing::project(testing::face_model(), 0);
  cv::Mat changed = texture(1);
  // The middle of the face differs (as a nose and cheek do when a real head turns).
  texture(2)(cv::Rect(250, 190, 140, 120)).copyTo(changed(cv::Rect(250, 190, 140, 120)));
  EXPECT_LT(planar_fit(texture(1), lm, changed, lm), 0.9);
  EXPECT_LT(planar_fit(texture(1), lm, texture(2), lm), 0.7);
}

TEST(PlanarFitTest, EmptyImagesOrDegenerateLandmarksAreNotFlat) {
  const auto lm = testing::project(testing::face_model(), 0);
  EXPECT_EQ(planar_fit(cv::Mat(), lm, texture(1), lm), 0);
  EXPECT_EQ(planar_fit(texture(1), face::FaceLandmarks{}, texture(1), lm), 0);
}

}  // namespace
}  // namespace faceid::liveness
