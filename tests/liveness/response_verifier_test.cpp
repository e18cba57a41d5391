// The response verifier on synthetic landmark series: actions in the asked order pass; a
// missing, unasked or out-of-order movement, a changed face, a flat movement or a low passive
// score fail with their own codes.
#include "liveness/response_verifier.h"

#include <gtest/gtest.h>

#include "liveness/synthetic_face.h"

namespace faceid::liveness {
namespace {

struct Pose {
  double yaw = 0;
  double eye_open = 1;
};
constexpr Pose kFront{0, 1};
constexpr Pose kLeft{22, 1};
constexpr Pose kRight{-22, 1};
constexpr Pose kShut{0, 0.2};

std::vector<FrameObservation> frames(std::initializer_list<std::pair<Pose, int>> runs) {
  std::vector<FrameObservation> out;
  for (const auto& [pose, count] : runs) {
    for (int i = 0; i < count; ++i) {
      FrameObservation f;
      f.landmarks = testing::project(testing::face_model(pose.eye_open), pose.yaw);
      f.yaw_deg = pose.yaw;
      f.passive = 0.9;
      f.embedding.fill(0.01f);
      out.push_back(f);
    }
  }
  return out;
}

const PlanarFitFn kHead = [](size_t from, size_t to) { return from == to ? 1.0 : 0.8; };
const PlanarFitFn kPhoto = [](size_t, size_t) { return 0.99; };

TEST(ResponseVerifierTest, ActionsInTheAskedOrderPass) {
  auto seq = frames(
      {{kFront, 3}, {kLeft, 3}, {kFront, 2}, {kShut, 2}, {kFront, 2}, {kRight, 3}, {kFront, 1}});
  auto r = verify_response({Action::kTurnLeft, Action::kBlink, Action::kTurnRight}, seq, {}, kHead);
  ASSERT_TRUE(r.ok()) << r.error().code << " "
                      << (r.error().details.empty() ? "" : r.error().details[0]);
  ASSERT_EQ(r->action_frames.size(), 3u);
  EXPECT_GE(r->action_frames[0], 3u);
  EXPECT_LT(r->action_frames[0], 6u);
  EXPECT_GE(r->action_frames[1], 8u);
  EXPECT_LT(r->action_frames[1], 10u);
  EXPECT_GE(r->action_frames[2], 12u);
  EXPECT_NEAR(r->passive, 0.9, 1e-9);
  EXPECT_DOUBLE_EQ(r->planar_fit, 0.8);
  // The template frame is frontal with open eyes.
  EXPECT_EQ(seq[r->best_frame].yaw_deg, 0);
  EXPECT_GT(r->residual, 0.02);  // the synthetic head is 3-D
}

TEST(ResponseVerifierTest, AMissingActionIsActionMissing) {
  auto seq = frames({{kFront, 3}, {kLeft, 3}, {kFront, 4}});
  auto r = verify_response({Action::kTurnLeft, Action::kBlink}, seq, {}, kHead);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "action_missing");
  EXPECT_EQ(r.error().details.at(0), "blink");
}

TEST(ResponseVerifierTest, TheWrongOrderFails) {
  // Right then left when left then right was asked: the unasked turn comes first.
  auto seq = frames({{kFront, 3}, {kRight, 3}, {kFront, 2}, {kLeft, 3}, {kFront, 2}});
  auto r = verify_response({Action::kTurnLeft, Action::kTurnRight}, seq, {}, kHead);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "action_unexpected");
  // A blink asked after a turn must come after it.
  auto blink_first = frames({{kFront, 3}, {kShut, 2}, {kFront, 2}, {kLeft, 3}, {kFront, 3}});
  auto b = verify_response({Action::kTurnLeft, Action::kBlink}, blink_first, {}, kHead);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, "action_missing");
}

TEST(ResponseVerifierTest, AStillFaceRepeatedMissesTheActions) {
  auto r = verify_response({Action::kTurnRight, Action::kBlink}, frames({{kFront, 12}}), {}, kHead);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "action_missing");
}

TEST(ResponseVerifierTest, AFlatMovementIsNot3d) {
  auto seq = frames({{kFront, 3}, {kLeft, 3}, {kFront, 3}});
  auto r = verify_response({Action::kTurnLeft, Action::kBlink}, seq, {}, kPhoto);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "not_3d");  // before the missing blink: flat fails first
}

TEST(ResponseVerifierTest, AnotherFaceInTheSequenceIsIdentityChanged) {
  auto seq = frames({{kFront, 3}, {kLeft, 3}, {kFront, 3}, {kRight, 3}});
  for (size_t i = 9; i < seq.size(); ++i) seq[i].embedding.fill(0.1f);  // distance 1.02
  auto r = verify_response({Action::kTurnLeft, Action::kTurnRight}, seq, {}, kHead);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "identity_changed");
  EXPECT_EQ(r.error().details.at(0), "frame 9");
}

TEST(ResponseVerifierTest, PassiveLivenessIsJudgedOnTheAggregateNotOneFrame) {
  auto seq = frames({{kFront, 3}, {kLeft, 3}, {kFront, 2}, {kShut, 2}, {kFront, 2}});
  for (auto& f : seq) f.passive = 0.2;
  seq[4].passive = 0.99;  // one lucky frame is not enough
  auto r = verify_response({Action::kTurnLeft, Action::kBlink}, seq, {}, kHead);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "liveness_failed");
  VerifierThresholds off;
  off.passive_enabled = false;
  EXPECT_TRUE(verify_response({Action::kTurnLeft, Action::kBlink}, seq, off, kHead).ok());
}

TEST(ResponseVerifierTest, NoUsableFrontalFrameIsPoorImageQuality) {
  auto seq = frames({{kFront, 3}, {kLeft, 3}, {kFront, 3}});
  for (auto& f : seq) f.quality_passed = false;
  auto r = verify_response({Action::kTurnLeft, Action::kBlink}, seq, {}, kHead);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "poor_image_quality");
}

TEST(ResponseVerifierTest, AggregatePassiveIsTheConfiguredQuantile) {
  auto seq = frames({{kFront, 5}});
  const double scores[] = {0.1, 0.2, 0.3, 0.4, 0.5};
  for (size_t i = 0; i < seq.size(); ++i) seq[i].passive = scores[i];
  EXPECT_NEAR(aggregate_passive(seq, 0.5), 0.3, 1e-9);
  EXPECT_NEAR(aggregate_passive(seq, 0.75), 0.4, 1e-9);
  EXPECT_NEAR(aggregate_passive(seq, 1.0), 0.5, 1e-9);
}

}  // namespace
}  // namespace faceid::liveness
