// DecodeLimits: what one image decode may cost (bytes in, pixels claimed, pixels decoded).
// Apart from image_decoder.h so that callers holding limits need no OpenCV headers.
#pragma once

namespace faceid::face {

struct DecodeLimits {
  long long max_bytes = 10LL << 20;
  long long max_pixels = 40'000'000;  // 40 MP, checked from the header
  // When > 0, the decoded image has at most this many pixels: a larger one is decoded scaled
  // down, same aspect ratio, and never exists at full resolution (JPEG: DCT scaling, the
  // largest of libjpeg-turbo's n/8 factors that fits; WebP: libwebp's row rescaler; PNG: rows
  // box-filtered by the smallest integer factor that fits, as they are inflated). Images
  // within the cap decode exactly as without it. Some streams need whole-image state however
  // small the output (progressive or multi-scan JPEG: the DCT coefficients, 2-6 bytes per
  // pixel; lossless WebP: ARGB, 4; alpha WebP: the alpha plane; interlaced PNG: the image):
  // above the cap they are accepted while that state fits in kWholeImageBytesPerCappedPixel x
  // this many bytes, and refused with image_too_large beyond.
  long long max_decoded_pixels = 0;
  // When > 0, JPEGs are decoded with libjpeg's DCT scaling to the smallest size whose long
  // side is still >= this (a free 2-8x speed-up on camera photos). 0 = full size. The
  // decoded-pixel cap wins when both apply.
  int min_long_side = 0;
};

// Bytes of whole-image codec state allowed per pixel of the decoded-pixel cap (twice what the
// capped BGR output itself takes): with an 8 MP cap, a 12 MP progressive 4:2:0 JPEG (36 MB of
// coefficients) decodes, a 40 MP one (120 MB) is refused.
inline constexpr long long kWholeImageBytesPerCappedPixel = 6;

// Longest side over shortest side beyond which an image is refused as invalid_image (the
// widest phone panoramas stay within it; a 39,999,999x1 "photo" does not).
inline constexpr long long kMaxAspectRatio = 8;

}  // namespace faceid::face
