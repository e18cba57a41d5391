// Decodes untrusted image bytes (JPEG, PNG, WebP) into an 8-bit BGR cv::Mat with the EXIF
// orientation applied. Dimensions are checked from the header before any pixel is
// decoded, so a decompression bomb costs a few bytes of parsing, not gigabytes of memory.
// Thread-safe (no shared state).
#pragma once

#include <opencv2/core/mat.hpp>
#include <string_view>

#include "common/result.h"

namespace faceid::face {

struct DecodeLimits {
  long long max_bytes = 10LL << 20;
  long long max_pixels = 40'000'000;  // 40 MP, checked from the header
  // When > 0, JPEGs are decoded with libjpeg's DCT scaling to the smallest size whose long
  // side is still >= this (a free 2-8x speed-up on camera photos). 0 = full size.
  int min_long_side = 0;
};

enum class ImageFormat { kUnknown, kJpeg, kPng, kWebp };

ImageFormat sniff_image_format(std::string_view bytes);

struct DecodedImage {
  cv::Mat bgr;             // 8-bit BGR, oriented; smaller than the original if DCT-scaled
  cv::Size original_size;  // oriented size of the full-resolution image
};

// Errors: unsupported_image (not JPEG/PNG/WebP), invalid_image (empty, corrupt, truncated),
// image_too_large (over max_bytes or max_pixels).
Result<DecodedImage> decode_image(std::string_view bytes, const DecodeLimits& limits);

// EXIF orientation tag (1..8) from a JPEG's APP1 segment; 1 when absent or unreadable.
int read_exif_orientation(std::string_view jpeg_bytes);

}  // namespace faceid::face
