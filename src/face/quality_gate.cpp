// Quality checks on the aligned chip (sharpness, exposure: the chip is what the ResNet
// sees) and on the landmarks (pose).
#include "face/quality_gate.h"

#include <cmath>
#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace faceid::face {
namespace {

constexpr double kInnerMargin = 0.2;  // of the chip side, on each border

cv::Mat chip_to_grey(const FaceChip& chip) {
  cv::Mat grey(static_cast<int>(chip.nr()), static_cast<int>(chip.nc()), CV_8UC1);
  for (long r = 0; r < chip.nr(); ++r) {
    for (long c = 0; c < chip.nc(); ++c) {
      const auto& p = chip(r, c);
      grey.at<uchar>(static_cast<int>(r), static_cast<int>(c)) =
          static_cast<uchar>((299 * p.red + 587 * p.green + 114 * p.blue + 500) / 1000);
    }
  }
  return grey;
}

}  // namespace

HeadPose estimate_head_pose(const Landmarks& lm, cv::Size image_size) {
  // Generic face model (mm-ish units, x right, y down, z towards the camera is negative).
  static const std::vector<cv::Point3d> model = {
      {0.0, 0.0, 0.0},           // 30 nose tip
      {0.0, 330.0, -65.0},       // 8 chin
      {-225.0, -170.0, -135.0},  // 36 left eye, outer corner
      {225.0, -170.0, -135.0},   // 45 right eye, outer corner
      {-150.0, 150.0, -125.0},   // 48 mouth, left corner
      {150.0, 150.0, -125.0},    // 54 mouth, right corner
  };
  const std::vector<cv::Point2d> image = {lm[30], lm[8], lm[36], lm[45], lm[48], lm[54]};
  const double f = std::max(image_size.width, image_size.height);
  const cv::Matx33d camera(f, 0, image_size.width / 2.0, 0, f, image_size.height / 2.0, 0, 0, 1);
  cv::Mat rvec, tvec;
  HeadPose pose;
  if (!cv::solvePnP(model, image, camera, cv::noArray(), rvec, tvec, false,
                    cv::SOLVEPNP_ITERATIVE)) {
    return pose;
  }
  cv::Matx33d rotation;
  cv::Rodrigues(rvec, rotation);
  // Euler angles (x = pitch, y = yaw) of R = Rz * Ry * Rx.
  pose.yaw_deg = std::asin(std::clamp(-rotation(2, 0), -1.0, 1.0)) * 180 / CV_PI;
  pose.pitch_deg = std::atan2(rotation(2, 1), rotation(2, 2)) * 180 / CV_PI;
  return pose;
}

QualityReport assess_quality(const FaceChip& chip, const Landmarks& landmarks, cv::Size image_size,
                             double face_px, const QualityThresholds& t) {
  QualityReport q;
  // Only the inner face region: the chip's padding may hold black pixels from outside the
  // photo (a face at the frame's edge), whose sharp border would read as "sharp" and dark.
  const cv::Mat full = chip_to_grey(chip);
  const int margin = static_cast<int>(full.cols * kInnerMargin);
  const cv::Mat grey =
      full(cv::Rect(margin, margin, full.cols - 2 * margin, full.rows - 2 * margin));
  cv::Mat laplacian;
  cv::Laplacian(grey, laplacian, CV_64F);
  cv::Scalar mean, stddev;
  cv::meanStdDev(laplacian, mean, stddev);
  q.sharpness = stddev[0] * stddev[0];
  q.brightness = cv::mean(grey)[0];
  q.face_size_px = face_px;
  const HeadPose pose = estimate_head_pose(landmarks, image_size);
  q.yaw_deg = pose.yaw_deg;
  q.pitch_deg = pose.pitch_deg;

  if (q.face_size_px < t.min_face_px) q.failures.push_back("face_too_small");
  if (q.sharpness < t.min_sharpness) q.failures.push_back("blurry");
  if (q.brightness < t.min_brightness) q.failures.push_back("too_dark");
  if (q.brightness > t.max_brightness) q.failures.push_back("overexposed");
  if (std::abs(q.yaw_deg) > t.max_abs_yaw_deg) q.failures.push_back("head_turned");
  if (std::abs(q.pitch_deg) > t.max_abs_pitch_deg) q.failures.push_back("head_tilted");
  q.passed = q.failures.empty();
  return q;
}

}  // namespace faceid::face
