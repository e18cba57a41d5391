// A synthetic 68-point face for the liveness unit tests: a rigid 3-D point set (nose in front
// of the outline, as on a real head) turned by yaw/pitch and projected, or the frontal view of
// it mapped by a homography (a photo). Eyes can be closed for blinks.
#pragma once

#include <array>
#include <cmath>

#include "face/face_engine.h"

namespace faceid::liveness::testing {

struct Point3 {
  double x, y, z;  // x right, y down, z towards the camera; unit ~ half the face width
};

inline std::array<Point3, 68> face_model(double eye_open = 1.0) {
  std::array<Point3, 68> p{};
  for (int i = 0; i <= 16; ++i) {  // jaw: a half ellipse from ear to ear, receding
    const double a = M_PI * (i / 16.0);
    p[i] = {-std::cos(a), 0.1 + 0.9 * std::sin(a), -0.4 * (1 - std::sin(a)) - 0.1};
  }
  for (int i = 0; i < 5; ++i) {  // brows
    p[17 + i] = {-0.75 + 0.13 * i, -0.45, 0.15};
    p[22 + i] = {0.23 + 0.13 * i, -0.45, 0.15};
  }
  for (int i = 0; i < 4; ++i) p[27 + i] = {0, -0.3 + 0.15 * i, 0.2 + 0.15 * i};  // nose ridge
  for (int i = 0; i < 5; ++i) p[31 + i] = {-0.16 + 0.08 * i, 0.2, 0.35};         // nostrils
  auto eye = [&](int first, double cx) {
    const double h = 0.06 * eye_open;
    p[first + 0] = {cx - 0.15, -0.25, 0.1};
    p[first + 1] = {cx - 0.05, -0.25 - h, 0.12};
    p[first + 2] = {cx + 0.05, -0.25 - h, 0.12};
    p[first + 3] = {cx + 0.15, -0.25, 0.1};
    p[first + 4] = {cx + 0.05, -0.25 + h, 0.12};
    p[first + 5] = {cx - 0.05, -0.25 + h, 0.12};
  };
  eye(36, -0.4);
  eye(42, 0.4);
  for (int i = 0; i < 12; ++i) {  // outer lips
    const double a = 2 * M_PI * i / 12;
    p[48 + i] = {-0.3 * std::cos(a), 0.5 - 0.1 * std::sin(a), 0.2};
  }
  for (int i = 0; i < 8; ++i) {  // inner lips
    const double a = 2 * M_PI * i / 8;
    p[60 + i] = {-0.2 * std::cos(a), 0.5 - 0.04 * std::sin(a), 0.2};
  }
  return p;
}

// The head turned by yaw (+ = the person's left: the nose moves towards the image's right)
// and pitch (+ = looking up), projected with a pinhole camera; 100 px per model unit.
inline face::FaceLandmarks project(const std::array<Point3, 68>& model, double yaw_deg,
                                   double pitch_deg = 0) {
  const double y = yaw_deg * M_PI / 180, x = -pitch_deg * M_PI / 180;
  face::FaceLandmarks out{};
  for (size_t i = 0; i < model.size(); ++i) {
    const Point3& p = model[i];
    const double x1 = p.x * std::cos(y) + p.z * std::sin(y);
    const double z1 = -p.x * std::sin(y) + p.z * std::cos(y);
    const double y2 = p.y * std::cos(x) + z1 * std::sin(x);
    const double z2 = -p.y * std::sin(x) + z1 * std::cos(x);
    const double depth = 8.0 - z2;  // camera 8 units in front of the face
    out[i] = {static_cast<float>(320 + 800 * x1 / depth),
              static_cast<float>(240 + 800 * y2 / depth)};
  }
  return out;
}

// A flat picture of `frontal` seen under the homography h (row-major 3x3).
inline face::FaceLandmarks warp(const face::FaceLandmarks& frontal,
                                const std::array<double, 9>& h) {
  face::FaceLandmarks out{};
  for (size_t i = 0; i < frontal.size(); ++i) {
    const double x = frontal[i].x, y = frontal[i].y;
    const double w = h[6] * x + h[7] * y + h[8];
    out[i] = {static_cast<float>((h[0] * x + h[1] * y + h[2]) / w),
              static_cast<float>((h[3] * x + h[4] * y + h[5]) / w)};
  }
  return out;
}

}  // namespace faceid::liveness::testing
