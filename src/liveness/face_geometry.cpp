// Landmark geometry. Indices follow the iBUG 300-W 68-point scheme: jaw 0-16, brows 17-26,
// nose 27-35 (tip 30), eyes 36-41 and 42-47, mouth 48-67.
#include "liveness/face_geometry.h"

#include <cmath>
#include <opencv2/calib3d.hpp>
#include <vector>

namespace faceid::liveness {
namespace {

double dist(const face::LandmarkPoint& a, const face::LandmarkPoint& b) {
  return std::hypot(static_cast<double>(a.x) - b.x, static_cast<double>(a.y) - b.y);
}

double eye_ratio(const face::FaceLandmarks& lm, int first) {
  const auto& p = [&](int i) -> const face::LandmarkPoint& { return lm[first + i]; };
  const double width = dist(p(0), p(3));
  if (width <= 0) return 0;
  return (dist(p(1), p(5)) + dist(p(2), p(4))) / (2.0 * width);
}

// The homography is fitted on points that lie near one surface and move together with the
// head: the face outline (jaw 0-16), the eye corners and the mouth corners. The nose (27-35)
// stands ~half an inter-ocular distance off that surface, so on a real head turn it moves
// against the fitted homography (parallax); on a photo it follows it. Eyelids, brows and
// lips are left out: blinks and expressions move them without any 3-D cue.
constexpr int kPlanePoints[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                12, 13, 14, 15, 16, 36, 39, 42, 45, 48, 54};
constexpr int kParallaxPoints[] = {28, 29, 30, 31, 32, 33, 34, 35};

template <size_t N>
std::vector<cv::Point2f> points(const face::FaceLandmarks& lm, const int (&idx)[N]) {
  std::vector<cv::Point2f> out;
  out.reserve(N);
  for (int i : idx) out.emplace_back(lm[i].x, lm[i].y);
  return out;
}

}  // namespace

double eye_aspect_ratio(const face::FaceLandmarks& lm) {
  return (eye_ratio(lm, 36) + eye_ratio(lm, 42)) / 2.0;
}

double yaw_proxy(const face::FaceLandmarks& lm) {
  const double left = lm[0].x;
  const double right = lm[16].x;
  const double width = right - left;
  if (std::abs(width) < 1e-6) return 0;
  return (lm[30].x - left) / width - 0.5;
}

double pitch_proxy(const face::FaceLandmarks& lm) {
  const double eyes_y = (lm[36].y + lm[39].y + lm[42].y + lm[45].y) / 4.0;
  const double chin_y = lm[8].y;
  const double height = chin_y - eyes_y;
  if (std::abs(height) < 1e-6) return 0;
  return (lm[30].y - eyes_y) / height;
}

double interocular_distance(const face::FaceLandmarks& lm) { return dist(lm[36], lm[45]); }

Parallax nose_parallax(const face::FaceLandmarks& from, const face::FaceLandmarks& to) {
  Parallax out;
  const double unit = interocular_distance(to);
  if (unit <= 1e-6) return out;
  // Method 0: plain least squares over the surface points (no outlier rejection).
  const cv::Mat h = cv::findHomography(points(from, kPlanePoints), points(to, kPlanePoints), 0);
  if (h.empty()) return out;
  const std::vector<cv::Point2f> src = points(from, kParallaxPoints);
  const std::vector<cv::Point2f> dst = points(to, kParallaxPoints);
  std::vector<cv::Point2f> mapped;
  cv::perspectiveTransform(src, mapped, h);
  double sum = 0;
  double sum_dx = 0;
  for (size_t i = 0; i < dst.size(); ++i) {
    const double dx = dst[i].x - mapped[i].x;
    const double dy = dst[i].y - mapped[i].y;
    sum += dx * dx + dy * dy;
    sum_dx += dx;
  }
  const auto n = static_cast<double>(dst.size());
  out.rms = std::sqrt(sum / n) / unit;
  out.horizontal = sum_dx / n / unit;
  return out;
}

double homography_residual(const face::FaceLandmarks& from, const face::FaceLandmarks& to) {
  return nose_parallax(from, to).rms;
}

}  // namespace faceid::liveness
