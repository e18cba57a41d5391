// The process's decode gate: at most `slots` decodes at once; past the wait, server_busy with a
// retry hint; decode_waiting always gets its turn.
#include "face/decode_gate.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "face/image_decoder.h"
#include "test_photos.h"

namespace faceid::face {
namespace {

using std::chrono::milliseconds;

// A PNG whose full decode takes a few hundred milliseconds (12 MP of noise-free gradient).
std::string slow_png() {
  cv::Mat canvas(3000, 4000, CV_8UC3);
  for (int y = 0; y < canvas.rows; ++y) canvas.row(y).setTo(cv::Scalar(y % 256, 100, 50));
  cv::Mat face = cv::imread(testing::testdata("faces/obama_1.jpg"));
  face.copyTo(canvas(cv::Rect(100, 100, face.cols, face.rows)));
  std::vector<uchar> out;
  cv::imencode(".png", canvas, out);
  return std::string(out.begin(), out.end());
}

TEST(DecodeGateTest, DecodeBeyondTheSlotsIsServerBusyAfterTheWaitAndWaitingOneGetsItsTurn) {
  DecodeGate gate(1, milliseconds(0));
  EXPECT_EQ(gate.slots(), 1);
  const std::string big = slow_png();
  const std::string small = testing::face_photo("obama_640x480.jpg");
  auto running = std::async(std::launch::async, [&] { return gate.decode_waiting(big, {}); });
  bool refused = false;
  while (!refused && running.wait_for(milliseconds(0)) != std::future_status::ready) {
    auto r = gate.decode(small, {});
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, "server_busy");
      EXPECT_EQ(r.error().retry_after_seconds, 1);
      refused = true;
    }
  }
  EXPECT_TRUE(refused) << "the big decode ended before a second one was tried";
  auto waiting = gate.decode_waiting(small, {});  // queued behind the big one, not refused
  EXPECT_TRUE(waiting.ok());
  ASSERT_TRUE(running.get().ok());
  EXPECT_TRUE(gate.decode(small, {}).ok());  // the slot came back
}

TEST(DecodeGateTest, DecodeWaitsForASlotWithinItsWait) {
  DecodeGate gate(1, milliseconds(30000));
  const std::string big = slow_png();
  const std::string small = testing::face_photo("obama_640x480.jpg");
  auto running = std::async(std::launch::async, [&] { return gate.decode(big, {}); });
  auto second = gate.decode(small, {});
  EXPECT_TRUE(second.ok());
  EXPECT_TRUE(running.get().ok());
}

TEST(DecodeGateTest, DecodeErrorsPassThroughAndFreeTheSlot) {
  DecodeGate gate(1, milliseconds(0));
  auto bad = gate.decode("not an image", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "unsupported_image");
  EXPECT_TRUE(gate.decode(testing::face_photo("obama_640x480.jpg"), {}).ok());
}

}  // namespace
}  // namespace faceid::face
