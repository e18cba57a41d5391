// Decodes untrusted image bytes (JPEG, PNG, WebP) into an 8-bit BGR cv::Mat with the EXIF
// orientation applied. Dimensions are checked from the header before any pixel is
// decoded, so a decompression bomb costs a few bytes of parsing, not gigabytes of memory;
// with a decoded-pixel cap, a large image is decoded scaled down without its full-resolution
// pixels ever being allocated. Thread-safe (no shared state).
#pragma once

#include <opencv2/core/mat.hpp>
#include <string_view>

#include "common/result.h"
#include "face/decode_limits.h"

namespace faceid::face {

enum class ImageFormat { kUnknown, kJpeg, kPng, kWebp };

ImageFormat sniff_image_format(std::string_view bytes);

struct DecodedImage {
  cv::Mat bgr;             // 8-bit BGR, oriented; smaller than the original if scaled
  cv::Size original_size;  // oriented size of the full-resolution image
};

// Errors: unsupported_image (not JPEG/PNG/WebP), invalid_image (empty, corrupt, truncated),
// image_too_large (over max_bytes or max_pixels, or whole-image state over the cap's budget).
Result<DecodedImage> decode_image(std::string_view bytes, const DecodeLimits& limits);

// The stored width and height from the header alone (no pixel is decoded): what a decode would
// cost, for callers that budget many images. Errors: unsupported_image, invalid_image.
Result<cv::Size> read_image_size(std::string_view bytes);

// EXIF orientation tag (1..8) from a JPEG's APP1 segment; 1 when absent or unreadable.
int read_exif_orientation(std::string_view jpeg_bytes);

}  // namespace faceid::face
