// The order of tries, cheapest and most common first:
//   1. the primary detector on the frame. Done, unless the largest box touches the border:
//      detector boxes are clipped at the frame (RFB-320 reports corners in 0..1), and a
//      clipped box starts the landmark fit from the wrong place (tight profile-picture crops).
//   2. nothing found: the primary's tiled pass (faces much smaller than the frame).
//   3. the frame padded with black on every side (as dlib's chip extraction fills what lies
//      outside the photo): a face that filled the frame now looks like one in a portrait, and
//      its box is no longer clipped.
//   4. the other detector (dlib HOG when RFB-320 is configured) on the padded frame: it finds
//      some frontal faces RFB-320 misses, and the other way round.
// An ordinary webcam frame with a centred face pays for step 1 only.
#include "face/face_finder.h"

#include <algorithm>
#include <opencv2/core.hpp>

namespace faceid::face {
namespace {

// A box within this fraction of the frame's side from an edge counts as touching it.
constexpr float kBorderMargin = 0.02f;
// Padding on each side, as a fraction of the frame's longer side.
constexpr double kPadFraction = 0.3;

const Detection& largest(const std::vector<Detection>& faces) {
  return *std::max_element(faces.begin(), faces.end(), [](const Detection& a, const Detection& b) {
    return a.box.area() < b.box.area();
  });
}

bool touches_border(const cv::Rect2f& box, cv::Size frame) {
  const float mx = kBorderMargin * frame.width, my = kBorderMargin * frame.height;
  return box.x <= mx || box.y <= my || box.x + box.width >= frame.width - mx ||
         box.y + box.height >= frame.height - my;
}

}  // namespace

FoundFaces find_faces(const cv::Mat& frame, FaceDetector& primary, FaceDetector* fallback,
                      bool find_small_faces) {
  FoundFaces first{frame, {0, 0}, primary.detect(frame, {find_small_faces})};
  if (first.faces.empty() && !find_small_faces) first.faces = primary.detect(frame, {true});
  if (!first.faces.empty() && !touches_border(largest(first.faces).box, frame.size())) {
    return first;
  }

  const int pad = static_cast<int>(kPadFraction * std::max(frame.cols, frame.rows));
  FoundFaces padded{cv::Mat(), {pad, pad}, {}};
  cv::copyMakeBorder(frame, padded.image, pad, pad, pad, pad, cv::BORDER_CONSTANT,
                     cv::Scalar::all(0));
  padded.faces = primary.detect(padded.image, {find_small_faces});
  if (!padded.faces.empty()) return padded;
  if (!first.faces.empty()) return first;
  if (fallback) {
    padded.faces = fallback->detect(padded.image, {true});
    if (!padded.faces.empty()) return padded;
  }
  return first;
}

}  // namespace faceid::face
