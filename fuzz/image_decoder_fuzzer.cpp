// libFuzzer entry point: arbitrary bytes into decode_image. Any crash, leak, sanitizer
// report or exception escaping is a bug; an Error result is the expected outcome.
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
  return 0;
}
