// The decoded-pixel cap: images within it decode bit-identically to the decoder before the cap
// existed; larger ones come out scaled (same aspect ratio, within the cap) without the
// full-resolution image ever being allocated; streams that need whole-image state beyond the
// cap's budget are refused with image_too_large.
#include <gtest/gtest.h>
#include <png.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "face/image_decoder.h"
#include "test_photos.h"

namespace faceid::face {
namespace {

using testing::read_bytes;
using testing::testdata;

constexpr long long kCap = 8'000'000;  // the service's default (MAX_DECODE_MEGAPIXELS=8)

uint64_t fnv1a(const cv::Mat& m) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](unsigned char b) { h = (h ^ b) * 1099511628211ull; };
  for (int v : {m.cols, m.rows}) {
    for (int i = 0; i < 4; ++i) mix(static_cast<unsigned char>(v >> (8 * i)));
  }
  for (int y = 0; y < m.rows; ++y) {
    const unsigned char* p = m.ptr(y);
    for (size_t x = 0; x < m.cols * m.elemSize(); ++x) mix(p[x]);
  }
  return h;
}

std::string encode(const cv::Mat& image, const std::string& ext, std::vector<int> params = {}) {
  std::vector<uchar> out;
  cv::imencode(ext, image, out, params);
  return std::string(out.begin(), out.end());
}

DecodeLimits capped(long long max_decoded_pixels, int min_long_side = 0) {
  DecodeLimits limits;
  limits.max_decoded_pixels = max_decoded_pixels;
  limits.min_long_side = min_long_side;
  return limits;
}

// A face photo in the middle of a smooth width x height canvas (compresses like the oversized
// uploads of bench/decode_flood.sh).
cv::Mat big_canvas(int width, int height) {
  cv::Mat canvas(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    canvas.row(y).setTo(cv::Scalar(120 + 60 * y / height, 140, 160 - 60 * y / height));
  }
  cv::Mat face = cv::imread(testdata("faces/obama_1.jpg"));
  const double f = std::min(width, height) / 2.0 / std::max(face.cols, face.rows);
  cv::resize(face, face, cv::Size(), f, f, cv::INTER_AREA);
  face.copyTo(
      canvas(cv::Rect((width - face.cols) / 2, (height - face.rows) / 2, face.cols, face.rows)));
  return canvas;
}

// Peak RSS growth (MB) of decoding `bytes` in a forked child, which starts with the parent's
// resident pages: measures what the decode itself allocates and touches.
long decode_peak_mb(const std::string& bytes, const DecodeLimits& limits) {
  auto status_kb = [](const char* key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::strlen(key)));
    }
    return -1L;
  };
  const pid_t child = fork();
  if (child == 0) {
    const long before = status_kb("VmRSS:");
    auto r = decode_image(bytes, limits);
    const long peak = status_kb("VmHWM:");
    _exit(r.ok() ? static_cast<int>(std::min(250L, (peak - before) / 1024)) : 255);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Decodes of every photo in testdata recorded with the decoder before the cap existed
// (TurboJPEG, full-frame libpng): full size, the engine's DCT-scaled path (long side >= 1600)
// and a smaller DCT scale (long side >= 400).
struct Golden {
  const char* file;
  uint64_t full, engine, small;
};
constexpr Golden kGolden[] = {
    {"faces/alex_lacamoire_1.jpg", 0xcdb8347682c0b67eull, 0xcdb8347682c0b67eull,
     0x4c0cc99d84b2eca2ull},
    {"faces/alex_lacamoire_2.jpg", 0x323f245e691e346aull, 0x323f245e691e346aull,
     0xb3ac30d7bc8da6fbull},
    {"faces/biden_1.jpg", 0x4b0cb2ac4c9b6c92ull, 0x51dff3ee48048babull, 0x97c63798557c1ed4ull},
    {"faces/biden_2.jpg", 0x25a3dc2bbf50e23dull, 0x25a3dc2bbf50e23dull, 0xe82755555ec23a6full},
    {"faces/group_kit_harington_rose_leslie.jpg", 0x9d9ac83311d2508dull, 0x9d9ac83311d2508dull,
     0x5d2698d26f7613faull},
    {"faces/group_obama_biden.jpg", 0x8eb835d4fc1dd0c7ull, 0x8eb835d4fc1dd0c7ull,
     0x153eb7645401b87eull},
    {"faces/kit_harington_1.jpg", 0x16646d803a18baf1ull, 0x16646d803a18baf1ull,
     0x460accea387d3a6full},
    {"faces/kit_harington_2.jpg", 0x1e2417ce5d0aabe7ull, 0x1e2417ce5d0aabe7ull,
     0x55b2aa98bcaeb8c2ull},
    {"faces/kit_harington_3.jpg", 0xbd16f081dccc5076ull, 0xbd16f081dccc5076ull,
     0xbb4f34f133d125edull},
    {"faces/obama_1.jpg", 0x1ede7a1eb5025e8eull, 0x1ede7a1eb5025e8eull, 0x6d963b53029a5f2bull},
    {"faces/obama_2.jpg", 0xcbc0bbf8767bf4b5ull, 0xcbc0bbf8767bf4b5ull, 0x2221c5210842767eull},
    {"faces/obama_240p.jpg", 0x834ac0e2aa6a88a4ull, 0x834ac0e2aa6a88a4ull, 0x834ac0e2aa6a88a4ull},
    {"faces/obama_3.jpg", 0x2b495a1c199107f4ull, 0x7d336b7e8648bcabull, 0x73f4dccc3fee4b73ull},
    {"faces/obama_32bit_rgba.png", 0xcfee1fa9e0fb7984ull, 0xcfee1fa9e0fb7984ull,
     0xcfee1fa9e0fb7984ull},
    {"faces/obama_4.jpg", 0xcf98050a0c7739d1ull, 0xcf98050a0c7739d1ull, 0xd35ed1b1d4adbb85ull},
    {"faces/obama_640x480.jpg", 0x6a86a645969fc485ull, 0x6a86a645969fc485ull,
     0x20cab8aeb327e068ull},
    {"faces/obama_partial_face.jpg", 0xe4fc5819f8b8ec1dull, 0xe4fc5819f8b8ec1dull,
     0x7d30c878dc921546ull},
    {"faces/obama_small.jpg", 0x2c80cca1a3c474f2ull, 0x2c80cca1a3c474f2ull, 0x2c80cca1a3c474f2ull},
    {"faces/rose_leslie_1.jpg", 0xb9191e5a2d1b241dull, 0xb9191e5a2d1b241dull,
     0xad1c3459cb17766dull},
    {"faces/rose_leslie_2.jpg", 0x44c896304c106074ull, 0x44c896304c106074ull,
     0x1921b5fd3dcb8382ull},
    {"liveness/attack_print_silentface_image_F1.jpg", 0x14b3c1fc0f918fb2ull, 0x14b3c1fc0f918fb2ull,
     0x07f82a8f44cafc96ull},
    {"liveness/attack_screen_hyperfas_fake_screen.png", 0xd55312ebae7425edull,
     0xd55312ebae7425edull, 0xd55312ebae7425edull},
    {"liveness/attack_screen_silentface_image_F2.jpg", 0x4b112082b6aee22aull, 0x4b112082b6aee22aull,
     0xd52b4b312b568258ull},
    {"liveness/attack_unknown_vietmoney_fake_001.jpg", 0x7e6f4fa28007c643ull, 0x7e6f4fa28007c643ull,
     0x9125b7b63acc20dfull},
    {"liveness/attack_unknown_vietmoney_fake_002.jpg", 0x15d0ebe0e9d030f8ull, 0x15d0ebe0e9d030f8ull,
     0xe8927797defb7d83ull},
    {"liveness/attack_unknown_vietmoney_fake_003.jpg", 0x9b256c3f3828a9a9ull, 0x9b256c3f3828a9a9ull,
     0x79bbc79e4af62503ull},
    {"liveness/live_none_silentface_image_T1.jpg", 0x12fb9ddbd3f3fa05ull, 0x12fb9ddbd3f3fa05ull,
     0xd0d56d2e33df8135ull},
    {"liveness/live_none_silentface_image_T2.jpg", 0xd371174b812954f2ull, 0xd371174b812954f2ull,
     0x0d6ae86bdeaa013aull},
    {"liveness/live_none_vietmoney_true_001.jpg", 0x3cc1527b98d8e153ull, 0x3cc1527b98d8e153ull,
     0xdecd2c33837ea664ull},
    {"liveness/live_none_vietmoney_true_002.jpg", 0x7fae38720845a894ull, 0x7fae38720845a894ull,
     0xdcfe9499ea52ca56ull},
    {"liveness/live_none_vietmoney_true_003.png", 0xa32e8c6aae87d3a3ull, 0xa32e8c6aae87d3a3ull,
     0xa32e8c6aae87d3a3ull},
};

TEST(ImageDecoderCapTest, PhotosWithinTheCapDecodeBitIdenticallyToTheDecoderBeforeIt) {
  for (const Golden& g : kGolden) {
    SCOPED_TRACE(g.file);
    const std::string bytes = read_bytes(testdata(g.file));
    auto full = decode_image(bytes, capped(kCap));
    auto engine = decode_image(bytes, capped(kCap, 1600));
    auto small = decode_image(bytes, capped(kCap, 400));
    ASSERT_TRUE(full.ok() && engine.ok() && small.ok());
    EXPECT_EQ(fnv1a(full->bgr), g.full);
    EXPECT_EQ(fnv1a(engine->bgr), g.engine);
    EXPECT_EQ(fnv1a(small->bgr), g.small);
  }
}

TEST(ImageDecoderCapTest, OtherStreamKindsWithinTheCapDecodeBitIdenticallyToBefore) {
  // Encoded here by this machine's OpenCV (Debian bookworm), decoded before the cap existed.
  const cv::Mat photo = cv::imread(testdata("faces/obama_1.jpg"));
  cv::Mat grey;
  cv::cvtColor(photo, grey, cv::COLOR_BGR2GRAY);
  struct Case {
    std::string bytes;
    uint64_t full, small;
  };
  const Case cases[] = {
      {encode(photo, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90, cv::IMWRITE_JPEG_PROGRESSIVE, 1}),
       0x4e40c1c24691cb6full, 0xd2ba20a5e866cfacull},
      {encode(grey, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90}), 0xec4b9255b5f71c2aull,
       0x76e602b8004dd550ull},
      {encode(photo, ".webp", {cv::IMWRITE_WEBP_QUALITY, 80}), 0xcff7b9f2bad5447cull,
       0xcff7b9f2bad5447cull},
      {encode(photo, ".webp", {cv::IMWRITE_WEBP_QUALITY, 101}), 0x1ede7a1eb5025e8eull,
       0x1ede7a1eb5025e8eull},
  };
  for (const Case& c : cases) {
    auto full = decode_image(c.bytes, capped(kCap));
    auto small = decode_image(c.bytes, capped(kCap, 400));
    ASSERT_TRUE(full.ok() && small.ok());
    EXPECT_EQ(fnv1a(full->bgr), c.full);
    EXPECT_EQ(fnv1a(small->bgr), c.small);
  }
}

// Mean absolute difference between a capped decode and the full decode resized to its size.
double difference_from_resized(const cv::Mat& capped_bgr, const cv::Mat& full_bgr) {
  cv::Mat reference;
  cv::resize(full_bgr, reference, capped_bgr.size(), 0, 0, cv::INTER_AREA);
  return cv::norm(capped_bgr, reference, cv::NORM_L1) / static_cast<double>(reference.total() * 3);
}

TEST(ImageDecoderCapTest, PngOverTheCapIsBoxFilteredToItWithItsAspectRatio) {
  const cv::Mat canvas = big_canvas(3000, 2001);  // 6 MP; cap 1 MP -> factor 3 -> 1000x667
  const std::string png = encode(canvas, ".png");
  auto r = decode_image(png, capped(1'000'000));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->bgr.size(), cv::Size(1000, 667));
  EXPECT_EQ(r->original_size, cv::Size(3000, 2001));
  EXPECT_LT(difference_from_resized(r->bgr, canvas), 1.0);
  // A block's output pixel is the rounded mean of its 3x3 source pixels.
  const cv::Scalar block = cv::mean(canvas(cv::Rect(1503, 999, 3, 3)));
  const cv::Vec3b got = r->bgr.at<cv::Vec3b>(333, 501);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(got[c], block[c], 0.5 + 1e-9);
}

TEST(ImageDecoderCapTest, BaselineJpegOverTheCapUsesTheLargestDctScaleThatFits) {
  const cv::Mat canvas = big_canvas(4000, 3000);  // 12 MP
  const std::string jpeg = encode(canvas, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90});
  auto r = decode_image(jpeg, capped(kCap));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->bgr.size(), cv::Size(3000, 2250));  // 6/8: 6.75 MP; 7/8 would be 9.2 MP
  EXPECT_EQ(r->original_size, cv::Size(4000, 3000));
  EXPECT_LT(difference_from_resized(r->bgr, canvas), 2.0);
  // min_long_side asks for smaller: it still wins when within the cap.
  auto engine = decode_image(jpeg, capped(kCap, 1600));
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ(engine->bgr.size(), cv::Size(2000, 1500));
}

TEST(ImageDecoderCapTest, ScaledJpegStillAppliesExifOrientation) {
  const std::string jpeg = encode(big_canvas(4000, 3000), ".jpg", {cv::IMWRITE_JPEG_QUALITY, 85});
  // APP1 EXIF with orientation 6 (rotate 90 clockwise) after SOI.
  const std::string tiff = std::string("II*\0\x08\0\0\0", 8) + std::string("\x01\0", 2) +
                           std::string("\x12\x01\x03\0\x01\0\0\0\x06\0\0\0", 12) +
                           std::string("\0\0\0\0", 4);
  const std::string payload = std::string("Exif\0\0", 6) + tiff;
  const size_t length = payload.size() + 2;
  const std::string rotated = jpeg.substr(0, 2) + std::string("\xFF\xE1", 2) +
                              static_cast<char>(length >> 8) + static_cast<char>(length & 0xFF) +
                              payload + jpeg.substr(2);
  auto r = decode_image(rotated, capped(kCap));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->bgr.size(), cv::Size(2250, 3000));
  EXPECT_EQ(r->original_size, cv::Size(3000, 4000));
}

TEST(ImageDecoderCapTest, ProgressiveJpegOverTheCapDecodesWhileItsCoefficientsFitTheBudget) {
  const cv::Mat canvas = big_canvas(4000, 3000);  // 4:2:0: 18 MB of coefficients
  const std::string jpeg =
      encode(canvas, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90, cv::IMWRITE_JPEG_PROGRESSIVE, 1});
  auto fits = decode_image(jpeg, capped(kCap));  // budget 48 MB
  ASSERT_TRUE(fits.ok()) << fits.error().message;
  EXPECT_EQ(fits->bgr.size(), cv::Size(3000, 2250));
  EXPECT_LT(difference_from_resized(fits->bgr, canvas), 2.0);
  auto refused = decode_image(jpeg, capped(2'000'000));  // budget 12 MB
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "image_too_large");
}

TEST(ImageDecoderCapTest, LossyWebpOverTheCapIsRescaledWhileDecoding) {
  const cv::Mat canvas = big_canvas(4000, 2500);  // 10 MP
  const std::string webp = encode(canvas, ".webp", {cv::IMWRITE_WEBP_QUALITY, 90});
  auto r = decode_image(webp, capped(2'000'000));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_LE(r->bgr.total(), 2'000'000u);
  EXPECT_GE(r->bgr.total(), 1'990'000u);
  EXPECT_NEAR(static_cast<double>(r->bgr.cols) / r->bgr.rows, 1.6, 0.002);
  EXPECT_EQ(r->original_size, cv::Size(4000, 2500));
  EXPECT_LT(difference_from_resized(r->bgr, canvas), 2.0);
}

TEST(ImageDecoderCapTest, LosslessWebpOverTheCapIsRefusedBeyondTheBudget) {
  const std::string webp = encode(big_canvas(2000, 2000), ".webp", {cv::IMWRITE_WEBP_QUALITY, 101});
  auto fits = decode_image(webp, capped(1'000'000));  // 16 MB of ARGB, budget 6 MB
  ASSERT_FALSE(fits.ok());
  EXPECT_EQ(fits.error().code, "image_too_large");
  auto scaled = decode_image(webp, capped(3'000'000));  // budget 18 MB
  ASSERT_TRUE(scaled.ok()) << scaled.error().message;
  EXPECT_EQ(scaled->bgr.size(), cv::Size(1732, 1732));
}

// OpenCV writes no interlaced PNG: libpng does, for this test.
std::string interlaced_png(const cv::Mat& bgr) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, png_size_t n) {
        static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<char*>(data), n);
      },
      nullptr);
  png_set_IHDR(png, info, bgr.cols, bgr.rows, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_ADAM7,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_bgr(png);
  std::vector<png_bytep> rows(bgr.rows);
  for (int y = 0; y < bgr.rows; ++y) rows[y] = const_cast<png_bytep>(bgr.ptr(y));
  png_set_rows(png, info, rows.data());
  png_write_png(png, info, PNG_TRANSFORM_BGR, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

TEST(ImageDecoderCapTest, InterlacedPngOverTheCapIsDecodedWholeOnlyWithinTheBudget) {
  const cv::Mat canvas = big_canvas(2000, 1500);  // 3 MP: 9 MB decoded whole
  const std::string png = interlaced_png(canvas);
  auto within = decode_image(png, {});
  ASSERT_TRUE(within.ok()) << within.error().message;
  EXPECT_EQ(cv::norm(within->bgr, canvas, cv::NORM_INF), 0);
  auto scaled = decode_image(png, capped(2'000'000));  // budget 12 MB
  ASSERT_TRUE(scaled.ok()) << scaled.error().message;
  EXPECT_EQ(scaled->bgr.size(), cv::Size(1000, 750));
  EXPECT_LT(difference_from_resized(scaled->bgr, canvas), 1.0);
  auto refused = decode_image(png, capped(1'000'000));  // budget 6 MB
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "image_too_large");
}

// Found by the fuzzer: a WebP header claiming a one-pixel-wide image sent the scaled size's
// search into an endless loop.
TEST(ImageDecoderCapTest, FuzzedThinWebpHeaderUnderATinyCapEnds) {
  const unsigned char kInput[] = {0x52, 0x49, 0x46, 0x46, 0x89, 0x46, 0x52, 0x49, 0x57, 0x45, 0x42,
                                  0x50, 0x2f, 0x00, 0x00, 0x2e, 0x15, 0x00, 0x00, 0x00, 0x00};
  auto r = decode_image(std::string_view(reinterpret_cast<const char*>(kInput), sizeof(kInput)),
                        capped(4096));
  if (r.ok()) EXPECT_LE(r->bgr.total(), 4096u);
}

TEST(ImageDecoderCapTest, StripsAreRefusedFromTheHeaderAndTheWidestPhotosFitTheCap) {
  // A strip scaled for detection has a side of zero pixels (issue 20: a 500 from OpenCV).
  for (const cv::Size size : {cv::Size(16000, 1), cv::Size(1, 16000), cv::Size(12000, 3)}) {
    cv::Mat thin(size, CV_8UC3, cv::Scalar(30, 60, 90));
    for (const std::string ext : {".webp", ".png", ".jpg"}) {
      SCOPED_TRACE(ext + " " + std::to_string(size.width) + "x" + std::to_string(size.height));
      auto r = decode_image(encode(thin, ext, {cv::IMWRITE_WEBP_QUALITY, 90}), capped(4096));
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().code, "invalid_image");
    }
  }
  // 8:1, the most elongated shape accepted, keeps at least a pixel and fits its long side.
  for (const cv::Size size : {cv::Size(1600, 200), cv::Size(200, 1600)}) {
    cv::Mat wide(size, CV_8UC3, cv::Scalar(30, 60, 90));
    for (const std::string ext : {".webp", ".png"}) {
      SCOPED_TRACE(ext + " " + std::to_string(size.width) + "x" + std::to_string(size.height));
      auto r = decode_image(encode(wide, ext, {cv::IMWRITE_WEBP_QUALITY, 90}), capped(4096));
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_LE(r->bgr.total(), 4096u);
      EXPECT_GE(std::min(r->bgr.cols, r->bgr.rows), 1);
      EXPECT_EQ(r->original_size, size);
    }
  }
}

TEST(ImageDecoderCapTest, DecodesOverTheCapNeverHoldTheFullResolutionImage) {
  // 4000x3000 is 34 MB as BGR; capped to 1 MP, a decode should need a few MB.
  const cv::Mat canvas = big_canvas(4000, 3000);
  const std::string png = encode(canvas, ".png");
  const std::string jpeg = encode(canvas, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90});
  const std::string webp = encode(canvas, ".webp", {cv::IMWRITE_WEBP_QUALITY, 90});
  for (const std::string* bytes : {&png, &jpeg, &webp}) {
    const long capped_mb = decode_peak_mb(*bytes, capped(1'000'000));
    const long full_mb = decode_peak_mb(*bytes, {});
    std::printf("%s: peak RSS growth %ld MB capped, %ld MB full\n",
                bytes == &png    ? "PNG"
                : bytes == &jpeg ? "JPEG"
                                 : "WebP",
                capped_mb, full_mb);
    EXPECT_LT(capped_mb, 12);
    EXPECT_GT(full_mb, 30);  // the measurement sees a full decode
  }
}

}  // namespace
}  // namespace faceid::face
