// libFuzzer entry point: arbitrary bytes into decode_image. Any crash, leak, sanitizer
// report or exception escaping is a bug; an Error result is the expected outcome.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "face/image_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  faceid::face::DecodeLimits limits;
  limits.max_pixels = 2'000'000;  // keeps each run fast and small; the check itself is tested
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto image = faceid::face::decode_image(bytes, limits);
  if (image.ok() && (image->bgr.empty() || image->bgr.type() != CV_8UC3)) __builtin_trap();
  limits.min_long_side = 64;  // the DCT-scaled JPEG path the engine uses
  (void)faceid::face::decode_image(bytes, limits);
  // A tiny decoded-pixel cap puts most inputs over it: box-filtered PNG rows, libwebp's
  // rescaler, DCT scaling by the cap, and the whole-image budget refusals.
  limits.min_long_side = 0;
  limits.max_decoded_pixels = 4096;
  auto capped = faceid::face::decode_image(bytes, limits);
  if (capped.ok() &&
      (capped->bgr.empty() || capped->bgr.type() != CV_8UC3 || capped->bgr.total() > 4096 ||
       capped->bgr.cols > std::max(capped->original_size.width, capped->original_size.height))) {
    __builtin_trap();
  }
  return 0;
}
