// Landmark-initialised ECC homography over the face region (Evangelidis & Psarakis 2008,
// cv::findTransformECC), at a fixed face scale so the cost and the blur do not depend on
// the camera resolution.
#include "liveness/planar_fit.h"

#include <algorithm>
#include <cmath>
#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>
#include <vector>

#include "liveness/face_geometry.h"

namespace faceid::liveness {
namespace {

constexpr double kWorkingIod = 64;  // pixels between the outer eye corners after scaling
constexpr int kEccIterations = 60;
constexpr double kEccEpsilon = 1e-5;

cv::Mat grey_scaled(const cv::Mat& image, double s) {
  cv::Mat grey;
  if (image.channels() == 3) {
    cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
  } else {
    grey = image;
  }
  cv::Mat scaled;
  cv::resize(grey, scaled, cv::Size(), s, s, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  cv::GaussianBlur(scaled, scaled, cv::Size(5, 5), 1.0);
  cv::Mat f;
  scaled.convertTo(f, CV_32F);
  return f;
}

std::vector<cv::Point2f> scaled_points(const face::FaceLandmarks& lm, double s) {
  std::vector<cv::Point2f> out;
  out.reserve(lm.size());
  for (const auto& p : lm)
    out.emplace_back(static_cast<float>(p.x * s), static_cast<float>(p.y * s));
  return out;
}

// Zero-mean normalised correlation of two images over a mask.
double masked_correlation(const cv::Mat& a, const cv::Mat& b, const cv::Mat& mask) {
  cv::Scalar ma, sa, mb, sb;
  cv::meanStdDev(a, ma, sa, mask);
  cv::meanStdDev(b, mb, sb, mask);
  if (sa[0] < 1e-6 || sb[0] < 1e-6) return 0;
  cv::Mat za = a - ma[0];
  cv::Mat zb = b - mb[0];
  cv::Mat prod = za.mul(zb);
  const double n = cv::countNonZero(mask);
  return cv::sum(prod.setTo(0, mask == 0))[0] / n / (sa[0] * sb[0]);
}

}  // namespace

double planar_fit(const cv::Mat& from, const face::FaceLandmarks& from_lm, const cv::Mat& to,
                  const face::FaceLandmarks& to_lm) {
  const double iod = interocular_distance(from_lm);
  if (iod < 1e-3 || from.empty() || to.empty()) return 0;
  const double s = kWorkingIod / iod;
  const cv::Mat a = grey_scaled(from, s);
  const cv::Mat b = grey_scaled(to, s);
  const std::vector<cv::Point2f> pa = scaled_points(from_lm, s);
  const std::vector<cv::Point2f> pb = scaled_points(to_lm, s);

  // The face region of `from`: the hull of the outline and brows, inside the image.
  std::vector<cv::Point2f> outline(pa.begin(), pa.begin() + 27);
  std::vector<cv::Point2f> hull_f;
  cv::convexHull(outline, hull_f);
  const cv::Rect region = cv::boundingRect(hull_f) & cv::Rect(0, 0, a.cols, a.rows);
  if (region.width < 16 || region.height < 16) return 0;
  cv::Mat mask = cv::Mat::zeros(region.size(), CV_8U);
  std::vector<cv::Point> hull;
  for (const auto& p : hull_f) {
    hull.emplace_back(cvRound(p.x - region.x), cvRound(p.y - region.y));
  }
  cv::fillConvexPoly(mask, hull, cv::Scalar(255));
  const cv::Mat templ = a(region).clone();

  // Start from the homography of all 68 landmarks, expressed from template coordinates.
  cv::Mat h = cv::findHomography(pa, pb, 0);
  if (h.empty()) return 0;
  const cv::Mat shift = (cv::Mat_<double>(3, 3) << 1, 0, region.x, 0, 1, region.y, 0, 0, 1);
  cv::Mat warp;
  cv::Mat(h * shift).convertTo(warp, CV_32F);
  try {
    cv::findTransformECC(templ, b, warp, cv::MOTION_HOMOGRAPHY,
                         cv::TermCriteria(cv::TermCriteria::COUNT + cv::TermCriteria::EPS,
                                          kEccIterations, kEccEpsilon),
                         mask, 1);
  } catch (const cv::Exception&) {
    // Did not converge: judge the landmark homography as it is.
  }
  cv::Mat aligned;
  cv::warpPerspective(b, aligned, warp, templ.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                      cv::BORDER_CONSTANT, cv::Scalar(0));
  return masked_correlation(templ, aligned, mask);
}

}  // namespace faceid::liveness
