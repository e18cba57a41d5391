// The aligned face chip shared by the embedder and the quality gate: dlib's 150x150 RGB
// chip (get_face_chip_details(shape, 150, 0.25)), the input the ResNet was trained on.
#pragma once

#include <dlib/matrix.h>
#include <dlib/pixel.h>

namespace faceid::face {

inline constexpr unsigned long kChipSize = 150;
inline constexpr double kChipPadding = 0.25;

using FaceChip = dlib::matrix<dlib::rgb_pixel>;

}  // namespace faceid::face
