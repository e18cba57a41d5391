// Image decoding with libjpeg-turbo, libpng and libwebp. Every decoder first reads only the
// header, checks width * height against the limit, then allocates and decodes. libpng
// reports errors by longjmp, so its calls sit in small functions whose frames hold nothing
// that needs a destructor after setjmp.
#include "face/image_decoder.h"

#include <libexif/exif-data.h>
#include <png.h>
#include <turbojpeg.h>
#include <webp/decode.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace faceid::face {
namespace {

Error invalid(const std::string& why) { return make_error("invalid_image", why); }
Error too_large(const std::string& why) { return make_error("image_too_large", why); }

Status check_dimensions(long long width, long long height, const DecodeLimits& limits) {
  if (width <= 0 || height <= 0) return invalid("image has no pixels");
  if (width * height > limits.max_pixels) {
    return too_large("image is " + std::to_string(width) + "x" + std::to_string(height) +
                     ", over the " + std::to_string(limits.max_pixels / 1'000'000) +
                     " megapixel limit");
  }
  return Status::Ok();
}

// ---- JPEG -------------------------------------------------------------------------------

struct TjHandle {
  tjhandle h = tjInitDecompress();
  ~TjHandle() {
    if (h) tjDestroy(h);
  }
};

tjscalingfactor pick_scaling(int width, int height, int min_long_side) {
  tjscalingfactor best{1, 1};
  if (min_long_side <= 0) return best;
  int count = 0;
  const tjscalingfactor* factors = tjGetScalingFactors(&count);
  const int long_side = std::max(width, height);
  for (int i = 0; i < count; ++i) {
    const auto& f = factors[i];
    if (f.num > f.denom) continue;  // never upscale
    const int scaled = TJSCALED(long_side, f);
    if (scaled >= min_long_side && scaled < TJSCALED(long_side, best)) best = f;
  }
  return best;
}

// libjpeg-turbo reports a truncated stream as a warning and fills the rest with grey; we
// refuse it. The harmless "extraneous bytes before marker" warning of some cameras is kept.
bool is_tolerable_warning(const char* message) {
  return message != nullptr && std::strstr(message, "extraneous bytes") != nullptr;
}

Result<cv::Mat> decode_jpeg(std::string_view bytes, const DecodeLimits& limits,
                            cv::Size* original) {
  TjHandle tj;
  if (!tj.h) return make_error("internal", "cannot initialise libjpeg-turbo");
  auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto size = static_cast<unsigned long>(bytes.size());
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(tj.h, data, size, &width, &height, &subsamp, &colorspace) != 0) {
    return invalid(std::string("corrupt JPEG header: ") + tjGetErrorStr2(tj.h));
  }
  if (auto s = check_dimensions(width, height, limits); !s) return s.error();
  *original = cv::Size(width, height);
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) {
    return make_error("unsupported_image", "CMYK JPEG images are not supported");
  }
  const tjscalingfactor scale = pick_scaling(width, height, limits.min_long_side);
  cv::Mat out(TJSCALED(height, scale), TJSCALED(width, scale), CV_8UC3);
  if (tjDecompress2(tj.h, data, size, out.data, out.cols, static_cast<int>(out.step), out.rows,
                    TJPF_BGR, 0) != 0) {
    const char* message = tjGetErrorStr2(tj.h);
    if (tjGetErrorCode(tj.h) == TJERR_FATAL || !is_tolerable_warning(message)) {
      return invalid(std::string("corrupt or truncated JPEG: ") + message);
    }
  }
  return out;
}

// ---- EXIF orientation ---------------------------------------------------------------------

cv::Mat apply_orientation(cv::Mat image, int orientation) {
  cv::Mat out;
  switch (orientation) {
    case 2:
      cv::flip(image, out, 1);
      return out;
    case 3:
      cv::rotate(image, out, cv::ROTATE_180);
      return out;
    case 4:
      cv::flip(image, out, 0);
      return out;
    case 5:
      cv::transpose(image, out);
      return out;
    case 6:
      cv::rotate(image, out, cv::ROTATE_90_CLOCKWISE);
      return out;
    case 7:
      cv::transpose(image, out);
      cv::rotate(out, out, cv::ROTATE_180);
      return out;
    case 8:
      cv::rotate(image, out, cv::ROTATE_90_COUNTERCLOCKWISE);
      return out;
    default:
      return image;
  }
}

// ---- PNG ----------------------------------------------------------------------------------

struct PngReader {
  const unsigned char* data;
  size_t size;
  size_t offset;
  char error[160];
};

void png_read_from_memory(png_structp png, png_bytep out, png_size_t length) {
  auto* r = static_cast<PngReader*>(png_get_io_ptr(png));
  if (length > r->size - r->offset) png_error(png, "truncated PNG");
  std::memcpy(out, r->data + r->offset, length);
  r->offset += length;
}

void png_on_error(png_structp png, png_const_charp message) {
  auto* r = static_cast<PngReader*>(png_get_io_ptr(png));
  std::snprintf(r->error, sizeof(r->error), "%s", message);
  png_longjmp(png, 1);
}

void png_on_warning(png_structp, png_const_charp) {}

struct PngHandle {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngHandle() { png_destroy_read_struct(&png, &info, nullptr); }
};

// Reads the header and sets the transformations to 8-bit BGR. Returns false on error.
bool png_read_header(PngHandle& h, png_uint_32* width, png_uint_32* height) {
  if (setjmp(png_jmpbuf(h.png))) return false;
  png_set_user_limits(h.png, 0x7fffffff, 0x7fffffff);
  png_set_chunk_malloc_max(h.png, 8 << 20);  // bounds text/iCCP chunks (zip bombs in metadata)
  // Metadata we never use is skipped unread: compressed text and profiles were how a fuzzed
  // 16x4 PNG made libpng ask for 1.9 GB.
  static constexpr png_byte kIgnored[] = "zTXt\0iTXt\0tEXt\0iCCP\0sPLT\0eXIf\0";
  png_set_keep_unknown_chunks(h.png, PNG_HANDLE_CHUNK_NEVER, kIgnored, 6);
  png_read_info(h.png, h.info);
  int bit_depth = 0, color_type = 0;
  png_get_IHDR(h.png, h.info, width, height, &bit_depth, &color_type, nullptr, nullptr, nullptr);
  return true;
}

bool png_read_pixels(PngHandle& h, png_bytep* row_pointers) {
  if (setjmp(png_jmpbuf(h.png))) return false;
  const int color_type = png_get_color_type(h.png, h.info);
  png_set_expand(h.png);  // palette -> RGB, grey < 8 bits -> 8 bits, tRNS -> alpha
  png_set_strip_16(h.png);
  if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
    png_set_gray_to_rgb(h.png);
  }
  png_set_strip_alpha(h.png);
  png_set_bgr(h.png);
  png_set_interlace_handling(h.png);
  png_read_update_info(h.png, h.info);
  if (png_get_rowbytes(h.png, h.info) !=
      static_cast<png_size_t>(png_get_image_width(h.png, h.info)) * 3) {
    png_error(h.png, "unexpected PNG row size after conversion");
  }
  png_read_image(h.png, row_pointers);
  return true;
}

Result<cv::Mat> decode_png(std::string_view bytes, const DecodeLimits& limits) {
  PngReader reader{reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), 0, {}};
  PngHandle h;
  h.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, png_on_error, png_on_warning);
  if (!h.png) return make_error("internal", "cannot initialise libpng");
  h.info = png_create_info_struct(h.png);
  if (!h.info) return make_error("internal", "cannot initialise libpng");
  png_set_read_fn(h.png, &reader, png_read_from_memory);
  png_uint_32 width = 0, height = 0;
  if (!png_read_header(h, &width, &height)) {
    return invalid(std::string("corrupt PNG header: ") + reader.error);
  }
  if (auto s = check_dimensions(width, height, limits); !s) return s.error();
  cv::Mat out(static_cast<int>(height), static_cast<int>(width), CV_8UC3);
  std::vector<png_bytep> rows(height);
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = out.ptr(static_cast<int>(y));
  if (!png_read_pixels(h, rows.data())) {
    return invalid(std::string("corrupt or truncated PNG: ") + reader.error);
  }
  return out;
}

// ---- WebP ---------------------------------------------------------------------------------

Result<cv::Mat> decode_webp(std::string_view bytes, const DecodeLimits& limits) {
  auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  int width = 0, height = 0;
  if (!WebPGetInfo(data, bytes.size(), &width, &height)) return invalid("corrupt WebP header");
  if (auto s = check_dimensions(width, height, limits); !s) return s.error();
  cv::Mat out(height, width, CV_8UC3);
  if (!WebPDecodeBGRInto(data, bytes.size(), out.data, out.step * out.rows,
                         static_cast<int>(out.step))) {
    return invalid("corrupt or truncated WebP");
  }
  return out;
}

}  // namespace

ImageFormat sniff_image_format(std::string_view b) {
  if (b.size() >= 3 && static_cast<unsigned char>(b[0]) == 0xFF &&
      static_cast<unsigned char>(b[1]) == 0xD8 && static_cast<unsigned char>(b[2]) == 0xFF) {
    return ImageFormat::kJpeg;
  }
  if (b.size() >= 8 && b.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) {
    return ImageFormat::kPng;
  }
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") {
    return ImageFormat::kWebp;
  }
  return ImageFormat::kUnknown;
}

int read_exif_orientation(std::string_view jpeg_bytes) {
  ExifData* exif =
      exif_data_new_from_data(reinterpret_cast<const unsigned char*>(jpeg_bytes.data()),
                              static_cast<unsigned int>(jpeg_bytes.size()));
  if (!exif) return 1;
  int orientation = 1;
  if (ExifEntry* entry = exif_content_get_entry(exif->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
      entry && entry->format == EXIF_FORMAT_SHORT && entry->components >= 1 && entry->size >= 2) {
    orientation = exif_get_short(entry->data, exif_data_get_byte_order(exif));
  }
  exif_data_unref(exif);
  return (orientation >= 1 && orientation <= 8) ? orientation : 1;
}

namespace {

DecodedImage full_size(cv::Mat bgr) {
  const cv::Size size = bgr.size();
  return DecodedImage{std::move(bgr), size};
}

}  // namespace

Result<DecodedImage> decode_image(std::string_view bytes, const DecodeLimits& limits) {
  if (bytes.empty()) return invalid("empty image");
  if (static_cast<long long>(bytes.size()) > limits.max_bytes) {
    return too_large("image is " + std::to_string(bytes.size()) + " bytes, over the limit of " +
                     std::to_string(limits.max_bytes));
  }
  switch (sniff_image_format(bytes)) {
    case ImageFormat::kJpeg: {
      cv::Size original;
      auto image = decode_jpeg(bytes, limits, &original);
      if (!image) return image.error();
      const int orientation = read_exif_orientation(bytes);
      if (orientation >= 5) original = cv::Size(original.height, original.width);
      return DecodedImage{apply_orientation(std::move(*image), orientation), original};
    }
    case ImageFormat::kPng: {
      auto image = decode_png(bytes, limits);
      if (!image) return image.error();
      return full_size(std::move(*image));
    }
    case ImageFormat::kWebp: {
      auto image = decode_webp(bytes, limits);
      if (!image) return image.error();
      return full_size(std::move(*image));
    }
    case ImageFormat::kUnknown:
      break;
  }
  return make_error("unsupported_image", "not a JPEG, PNG or WebP image");
}

}  // namespace faceid::face
