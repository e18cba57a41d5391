// Landmark geometry on synthetic faces: eye aspect ratio, the yaw proxy's sign and size, and
// the landmark homography residual of a 3-D head against a flat picture.
#include "liveness/face_geometry.h"

#include <gtest/gtest.h>

#include "liveness/synthetic_face.h"

namespace faceid::liveness {
namespace {

using testing::face_model;
using testing::project;
using testing::warp;

TEST(FaceGeometryTest, EyeAspectRatioHalvesWhenTheEyesHalfClose) {
  const double open = eye_aspect_ratio(project(face_model(1.0), 0));
  const double half = eye_aspect_ratio(project(face_model(0.5), 0));
  EXPECT_GT(open, 0.3);
  EXPECT_NEAR(half / open, 0.5, 0.05);
  EXPECT_LT(eye_aspect_ratio(project(face_model(0.05), 0)), 0.05);
}

TEST(FaceGeometryTest, YawProxyIsZeroFrontalAndFollowsTheTurnsDirection) {
  EXPECT_NEAR(yaw_proxy(project(face_model(), 0)), 0, 1e-3);
  EXPECT_GT(yaw_proxy(project(face_model(), 20)), 0.12);    // turned to the person's left
  EXPECT_LT(yaw_proxy(project(face_model(), -20)), -0.12);  // to their right
  EXPECT_GT(yaw_proxy(project(face_model(), 30)), yaw_proxy(project(face_model(), 15)));
}

TEST(FaceGeometryTest, PitchProxyDropsWhenLookingUp) {
  EXPECT_LT(pitch_proxy(project(face_model(), 0, 20)), pitch_proxy(project(face_model(), 0, 0)));
}

TEST(FaceGeometryTest, ARealTurnLeavesAHomographyResidualAFlatPictureDoesNot) {
  const auto frontal = project(face_model(), 0);
  const double turned = homography_residual(frontal, project(face_model(), 25));
  // A photo of the frontal face, tilted away on its right side and rotated a little.
  const double flat = homography_residual(
      frontal, warp(frontal, {0.9, 0.05, 20, -0.02, 1.0, 10, 0.0004, 0.0, 1.0}));
  EXPECT_GT(turned, 0.05);
  EXPECT_LT(flat, 1e-3);
  EXPECT_NEAR(homography_residual(frontal, frontal), 0, 1e-6);
}

}  // namespace
}  // namespace faceid::liveness
