// Image decoding with libjpeg-turbo, libpng and libwebp. Every decoder first reads only the
// header, checks width * height against the limit, then allocates and decodes (scaled, when
// the image is over the decoded-pixel cap). libjpeg and libpng report errors by longjmp, so
// their calls sit in small functions whose frames hold nothing that needs a destructor after
// setjmp.
#include "face/image_decoder.h"

#include <libexif/exif-data.h>
#include <png.h>
#include <webp/decode.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

// After <cstdio>: jpeglib.h uses FILE and size_t without declaring them.
#include <jerror.h>
#include <jpeglib.h>

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
  // No camera frames a face in a strip; scaled for detection such a strip has a side of zero
  // pixels (an OpenCV assertion), so it is refused as not a photo before any decoding.
  if (std::max(width, height) > kMaxAspectRatio * std::min(width, height)) {
    return invalid("image is " + std::to_string(width) + "x" + std::to_string(height) +
                   ", more elongated than " + std::to_string(kMaxAspectRatio) + ":1");
  }
  return Status::Ok();
}

// ---- Scaling ------------------------------------------------------------------------------

bool over_cap(long long width, long long height, const DecodeLimits& limits) {
  return limits.max_decoded_pixels > 0 && width * height > limits.max_decoded_pixels;
}

long long whole_image_budget(const DecodeLimits& limits) {
  return limits.max_decoded_pixels * kWholeImageBytesPerCappedPixel;
}

Error whole_image_too_large(const char* what, long long width, long long height,
                            const DecodeLimits& limits) {
  return too_large(std::string(what) + " of " + std::to_string(width) + "x" +
                   std::to_string(height) + " must be held whole to decode, over the budget of " +
                   std::to_string(whole_image_budget(limits)) + " bytes");
}

// Averages k x k blocks of BGR rows as they arrive (a box filter), so an image larger than the
// cap is never held at full resolution: the memory is one row of sums plus the output.
class BoxShrinker {
 public:
  BoxShrinker(int width, int height, int k)
      : k_(k),
        width_(width),
        height_(height),
        out_((height + k - 1) / k, (width + k - 1) / k, CV_8UC3),
        sums_(static_cast<size_t>(out_.cols) * 3, 0) {}

  void push(const unsigned char* row) {
    for (int x = 0; x < width_; ++x) {
      unsigned* sum = &sums_[static_cast<size_t>(x / k_) * 3];
      sum[0] += row[3 * x];
      sum[1] += row[3 * x + 1];
      sum[2] += row[3 * x + 2];
    }
    ++band_rows_;
    if (++rows_ % k_ == 0 || rows_ == height_) flush();
  }

  cv::Mat take() { return std::move(out_); }

 private:
  void flush() {
    unsigned char* dst = out_.ptr((rows_ - 1) / k_);
    for (int ox = 0; ox < out_.cols; ++ox) {
      const unsigned count = static_cast<unsigned>(std::min(k_, width_ - ox * k_) * band_rows_);
      for (int c = 0; c < 3; ++c) {
        unsigned& sum = sums_[static_cast<size_t>(ox) * 3 + c];
        dst[3 * ox + c] = static_cast<unsigned char>((sum + count / 2) / count);
        sum = 0;
      }
    }
    band_rows_ = 0;
  }

  const int k_, width_, height_;
  cv::Mat out_;
  std::vector<unsigned> sums_;
  int rows_ = 0;
  int band_rows_ = 0;
};

// The smallest integer k whose ceil(w/k) x ceil(h/k) box-filtered image fits the cap.
int box_factor(long long width, long long height, long long max_pixels) {
  int k = std::max(1, static_cast<int>(std::sqrt(static_cast<double>(width) * height /
                                                 static_cast<double>(max_pixels))));
  while (((width + k - 1) / k) * ((height + k - 1) / k) > max_pixels) ++k;
  return k;
}

// ---- JPEG -------------------------------------------------------------------------------

// libjpeg reports errors by longjmp and warnings through emit_message. A truncated stream is
// only a warning (the rest is filled with grey): any warning but the harmless "extraneous
// bytes before marker" of some cameras aborts the decode.
struct JpegErrors {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  int code;  // msg_code of the error that aborted
};

[[noreturn]] void jpeg_on_error(j_common_ptr cinfo) {
  auto* e = reinterpret_cast<JpegErrors*>(cinfo->err);
  e->code = cinfo->err->msg_code;
  (*cinfo->err->format_message)(cinfo, e->message);
  std::longjmp(e->jump, 1);
}

void jpeg_on_message(j_common_ptr cinfo, int level) {
  if (level >= 0 || cinfo->err->msg_code == JWRN_EXTRANEOUS_DATA) return;  // trace, or harmless
  jpeg_on_error(cinfo);
}

struct JpegDecoder {
  jpeg_decompress_struct cinfo{};
  JpegErrors errors{};
  JpegDecoder() {
    cinfo.err = jpeg_std_error(&errors.mgr);
    errors.mgr.error_exit = jpeg_on_error;
    errors.mgr.emit_message = jpeg_on_message;
  }
  ~JpegDecoder() { jpeg_destroy_decompress(&cinfo); }  // safe on a never-created struct
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;
};

bool jpeg_read_header_into(JpegDecoder& d, std::string_view bytes) {
  if (setjmp(d.errors.jump)) return false;
  jpeg_create_decompress(&d.cinfo);
  jpeg_mem_src(&d.cinfo, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&d.cinfo, TRUE);
  return true;
}

// Bytes of DCT coefficients libjpeg holds for the whole image when the stream has several
// scans (progressive, or components in separate scans); 0 for a single-scan baseline stream,
// which is decoded a row of blocks at a time.
long long jpeg_whole_image_bytes(const jpeg_decompress_struct& c) {
  if (!c.progressive_mode && c.comps_in_scan >= c.num_components) return 0;
  long long bytes = 0;
  for (int i = 0; i < c.num_components; ++i) {
    const jpeg_component_info& comp = c.comp_info[i];
    const long long w = (comp.width_in_blocks + comp.h_samp_factor - 1) / comp.h_samp_factor;
    const long long h = (comp.height_in_blocks + comp.v_samp_factor - 1) / comp.v_samp_factor;
    bytes += w * comp.h_samp_factor * h * comp.v_samp_factor * DCTSIZE2 *
             static_cast<long long>(sizeof(JCOEF));
  }
  return bytes;
}

// libjpeg-turbo scales by n/8 (n = 1..8 when shrinking). The smallest n whose long side is
// still >= min_long_side, and never more than the largest n whose output fits the cap; 0 when
// not even 1/8 fits.
int pick_eighths(int width, int height, const DecodeLimits& limits) {
  auto scaled = [](long long dim, int n) { return (dim * n + 7) / 8; };
  int n = 8;
  if (limits.min_long_side > 0) {
    const int long_side = std::max(width, height);
    while (n > 1 && scaled(long_side, n - 1) >= limits.min_long_side) --n;
  }
  if (limits.max_decoded_pixels > 0) {
    while (n > 0 && scaled(width, n) * scaled(height, n) > limits.max_decoded_pixels) --n;
  }
  return n;
}

bool jpeg_decode_rows(JpegDecoder& d, cv::Mat* out) {
  if (setjmp(d.errors.jump)) return false;
  jpeg_start_decompress(&d.cinfo);
  if (static_cast<int>(d.cinfo.output_width) != out->cols ||
      static_cast<int>(d.cinfo.output_height) != out->rows || d.cinfo.output_components != 3) {
    std::snprintf(d.errors.message, sizeof(d.errors.message), "unexpected output geometry");
    return false;
  }
  while (d.cinfo.output_scanline < d.cinfo.output_height) {
    JSAMPROW row = out->ptr(static_cast<int>(d.cinfo.output_scanline));
    jpeg_read_scanlines(&d.cinfo, &row, 1);
  }
  jpeg_finish_decompress(&d.cinfo);
  return true;
}

// The same settings TurboJPEG's tjDecompress2 used before (ISLOW IDCT, fancy upsampling, BGR
// output), through libjpeg's own API so the stream's scan structure can be seen and its
// whole-image buffers bounded.
Result<cv::Mat> decode_jpeg(std::string_view bytes, const DecodeLimits& limits,
                            cv::Size* original) {
  JpegDecoder d;
  if (!jpeg_read_header_into(d, bytes)) {
    return invalid(std::string("corrupt JPEG header: ") + d.errors.message);
  }
  const int width = static_cast<int>(d.cinfo.image_width);
  const int height = static_cast<int>(d.cinfo.image_height);
  if (auto s = check_dimensions(width, height, limits); !s) return s.error();
  *original = cv::Size(width, height);
  if (d.cinfo.jpeg_color_space == JCS_CMYK || d.cinfo.jpeg_color_space == JCS_YCCK) {
    return make_error("unsupported_image", "CMYK JPEG images are not supported");
  }
  if (over_cap(width, height, limits)) {
    if (jpeg_whole_image_bytes(d.cinfo) > whole_image_budget(limits)) {
      return whole_image_too_large("progressive or multi-scan JPEG", width, height, limits);
    }
    // The estimate above is the check; this makes libjpeg itself fail rather than allocate
    // more for whole-image buffers (it has no backing store to fall back on).
    d.cinfo.mem->max_memory_to_use = static_cast<long>(whole_image_budget(limits) + (8 << 20));
  }
  const int n = pick_eighths(width, height, limits);
  if (n == 0) return too_large("image does not fit the decoded-pixel cap even at 1/8 scale");
  d.cinfo.scale_num = static_cast<unsigned>(n);
  d.cinfo.scale_denom = 8;
  d.cinfo.out_color_space = JCS_EXT_BGR;
  d.cinfo.dct_method = JDCT_ISLOW;
  d.cinfo.do_fancy_upsampling = TRUE;
  cv::Mat out((height * n + 7) / 8, (width * n + 7) / 8, CV_8UC3);
  if (!jpeg_decode_rows(d, &out)) {
    if (d.errors.code == JERR_NO_BACKING_STORE) {
      return whole_image_too_large("JPEG", width, height, limits);
    }
    return invalid(std::string("corrupt or truncated JPEG: ") + d.errors.message);
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

// Sets the transformations to 8-bit BGR, 3 bytes per pixel. Returns false on error.
bool png_set_bgr_output(PngHandle& h) {
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
  return true;
}

bool png_read_pixels(PngHandle& h, png_bytep* row_pointers) {
  if (setjmp(png_jmpbuf(h.png))) return false;
  png_read_image(h.png, row_pointers);
  return true;
}

// A non-interlaced PNG, one row at a time into the box filter: only `row` is held.
bool png_read_shrunk(PngHandle& h, png_uint_32 height, png_bytep row, BoxShrinker* shrink) {
  if (setjmp(png_jmpbuf(h.png))) return false;
  for (png_uint_32 y = 0; y < height; ++y) {
    png_read_row(h.png, row, nullptr);
    shrink->push(row);
  }
  return true;
}

// Over the cap, a non-interlaced PNG is box-filtered row by row as it is inflated. Inflating
// dominates: a 6300x6300 PNG took 350 ms in full and 409 ms box-filtered to 2100x2100
// (bench/decode/decode_bench, shared 2-core VM), ~1.5 ns per pixel for the filter, and the
// engine then resizes 4 MP instead of 40 MP; so PNGs are scaled, not refused. An
// interlaced PNG delivers every row seven times (Adam7 passes), so it is decoded whole while
// that fits the cap's budget, then filtered; beyond it, image_too_large.
Result<cv::Mat> decode_png(std::string_view bytes, const DecodeLimits& limits, cv::Size* original) {
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
  *original = cv::Size(static_cast<int>(width), static_cast<int>(height));
  const bool shrink = over_cap(width, height, limits);
  const bool interlaced = png_get_interlace_type(h.png, h.info) != PNG_INTERLACE_NONE;
  if (shrink && interlaced && 3LL * width * height > whole_image_budget(limits)) {
    return whole_image_too_large("interlaced PNG", width, height, limits);
  }
  if (!png_set_bgr_output(h)) return invalid(std::string("corrupt PNG: ") + reader.error);
  if (shrink && !interlaced) {
    BoxShrinker box(static_cast<int>(width), static_cast<int>(height),
                    box_factor(width, height, limits.max_decoded_pixels));
    std::vector<png_byte> row(static_cast<size_t>(width) * 3);
    if (!png_read_shrunk(h, height, row.data(), &box)) {
      return invalid(std::string("corrupt or truncated PNG: ") + reader.error);
    }
    return box.take();
  }
  cv::Mat out(static_cast<int>(height), static_cast<int>(width), CV_8UC3);
  std::vector<png_bytep> rows(height);
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = out.ptr(static_cast<int>(y));
  if (!png_read_pixels(h, rows.data())) {
    return invalid(std::string("corrupt or truncated PNG: ") + reader.error);
  }
  if (!shrink) return out;
  BoxShrinker box(out.cols, out.rows, box_factor(width, height, limits.max_decoded_pixels));
  for (int y = 0; y < out.rows; ++y) box.push(out.ptr(y));
  return box.take();
}

// ---- WebP ---------------------------------------------------------------------------------

// The largest size with the image's aspect ratio that fits max_pixels. A very thin image
// keeps a side of one pixel and has its long side trimmed to fit.
cv::Size fit_cap(int width, int height, long long max_pixels) {
  const double f =
      std::sqrt(static_cast<double>(max_pixels) / (static_cast<double>(width) * height));
  long long w = std::clamp(static_cast<long long>(width * f), 1LL, static_cast<long long>(width));
  long long h = std::clamp(static_cast<long long>(height * f), 1LL, static_cast<long long>(height));
  if (w * h > max_pixels) {
    if (w >= h) {
      w = max_pixels / h;
    } else {
      h = max_pixels / w;
    }
  }
  return {static_cast<int>(w), static_cast<int>(h)};
}

struct WebPConfig {
  WebPDecoderConfig config;
  ~WebPConfig() { WebPFreeDecBuffer(&config.output); }
};

// Over the cap, libwebp decodes with its rescaler: lossy rows are scaled as they are
// reconstructed, so only a few macroblock rows exist at full width. Lossless images (ARGB,
// kept whole for back-references) and alpha planes are whole-image state, held to the budget.
Result<cv::Mat> decode_webp_scaled(std::string_view bytes, const DecodeLimits& limits, int width,
                                   int height) {
  WebPConfig c;
  if (!WebPInitDecoderConfig(&c.config)) return make_error("internal", "cannot initialise libwebp");
  auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  if (WebPGetFeatures(data, bytes.size(), &c.config.input) != VP8_STATUS_OK) {
    return invalid("corrupt WebP header");
  }
  const long long pixels = static_cast<long long>(width) * height;
  const long long whole = c.config.input.format == 2 ? 4 * pixels
                          : c.config.input.has_alpha ? 2 * pixels
                                                     : 0;
  if (whole > whole_image_budget(limits)) {
    return whole_image_too_large(c.config.input.format == 2 ? "lossless WebP" : "WebP with alpha",
                                 width, height, limits);
  }
  const cv::Size size = fit_cap(width, height, limits.max_decoded_pixels);
  cv::Mat out(size, CV_8UC3);
  c.config.options.use_scaling = 1;
  c.config.options.scaled_width = size.width;
  c.config.options.scaled_height = size.height;
  c.config.output.colorspace = MODE_BGR;
  c.config.output.is_external_memory = 1;
  c.config.output.u.RGBA.rgba = out.data;
  c.config.output.u.RGBA.stride = static_cast<int>(out.step);
  c.config.output.u.RGBA.size = out.step * out.rows;
  if (WebPDecode(data, bytes.size(), &c.config) != VP8_STATUS_OK) {
    return invalid("corrupt or truncated WebP");
  }
  return out;
}

Result<cv::Mat> decode_webp(std::string_view bytes, const DecodeLimits& limits,
                            cv::Size* original) {
  auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  int width = 0, height = 0;
  if (!WebPGetInfo(data, bytes.size(), &width, &height)) return invalid("corrupt WebP header");
  if (auto s = check_dimensions(width, height, limits); !s) return s.error();
  *original = cv::Size(width, height);
  if (over_cap(width, height, limits)) return decode_webp_scaled(bytes, limits, width, height);
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

Result<cv::Size> read_image_size(std::string_view bytes) {
  switch (sniff_image_format(bytes)) {
    case ImageFormat::kJpeg: {
      JpegDecoder d;
      if (!jpeg_read_header_into(d, bytes)) return invalid("corrupt JPEG header");
      return cv::Size(static_cast<int>(d.cinfo.image_width),
                      static_cast<int>(d.cinfo.image_height));
    }
    case ImageFormat::kPng: {
      // The signature, then IHDR first (PNG requires it): length, type, width, height.
      if (bytes.size() < 24 || bytes.substr(12, 4) != "IHDR") return invalid("corrupt PNG header");
      auto be32 = [&](std::size_t at) {
        std::uint32_t v = 0;
        for (std::size_t i = 0; i < 4; ++i)
          v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
        return v;
      };
      if (be32(16) > 0x7fffffff || be32(20) > 0x7fffffff) return invalid("corrupt PNG header");
      return cv::Size(static_cast<int>(be32(16)), static_cast<int>(be32(20)));
    }
    case ImageFormat::kWebp: {
      int width = 0, height = 0;
      if (!WebPGetInfo(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &width,
                       &height)) {
        return invalid("corrupt WebP header");
      }
      return cv::Size(width, height);
    }
    case ImageFormat::kUnknown:
      break;
  }
  return make_error("unsupported_image", "not a JPEG, PNG or WebP image");
}

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
      cv::Size original;
      auto image = decode_png(bytes, limits, &original);
      if (!image) return image.error();
      return DecodedImage{std::move(*image), original};
    }
    case ImageFormat::kWebp: {
      cv::Size original;
      auto image = decode_webp(bytes, limits, &original);
      if (!image) return image.error();
      return DecodedImage{std::move(*image), original};
    }
    case ImageFormat::kUnknown:
      break;
  }
  return make_error("unsupported_image", "not a JPEG, PNG or WebP image");
}

}  // namespace faceid::face
