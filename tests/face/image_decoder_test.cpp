// Decoder behaviour on hostile and unusual inputs: every failure is a clear error code.
#include "face/image_decoder.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "test_photos.h"

namespace faceid::face {
namespace {

using testing::face_photo;

std::string encode(const cv::Mat& image, const std::string& ext) {
  std::vector<uchar> out;
  cv::imencode(ext, image, out);
  return std::string(out.begin(), out.end());
}

std::string error_code(std::string_view bytes, const DecodeLimits& limits = {}) {
  auto r = decode_image(bytes, limits);
  return r ? "ok" : r.error().code;
}

uint32_t crc32(const std::string& bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char b : bytes) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

// A PNG whose (valid, CRC-checked) IHDR claims width x height, followed by a tiny IDAT and
// IEND: the shape of a decompression bomb. It must be refused from the header alone.
std::string png_with_header(uint32_t width, uint32_t height) {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  auto be32 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  const std::string ihdr =
      "IHDR" + be32(width) + be32(height) + std::string("\x08\x02\x00\x00\x00", 5);
  png += be32(13) + ihdr + be32(crc32(ihdr));
  png += be32(2) + "IDAT" + std::string("\x78\x9c", 2) + be32(0);
  png += be32(0) + "IEND" + be32(0xAE426082);
  return png;
}

TEST(ImageDecoderTest, DecodesJpegToBgr) {
  auto r = decode_image(face_photo("obama_640x480.jpg"), {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->bgr.cols, 640);
  EXPECT_EQ(r->bgr.rows, 480);
  EXPECT_EQ(r->bgr.type(), CV_8UC3);
  EXPECT_EQ(r->original_size, cv::Size(640, 480));
}

TEST(ImageDecoderTest, RgbaPngLosesAlphaAndKeepsSize) {
  auto r = decode_image(face_photo("obama_32bit_rgba.png"), {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->bgr.type(), CV_8UC3);
  EXPECT_EQ(r->bgr.size(), cv::Size(626, 1200));
}

TEST(ImageDecoderTest, GreyAnd16BitPngBecome8BitBgr) {
  cv::Mat grey16(40, 30, CV_16UC1, cv::Scalar(40000));
  auto r = decode_image(encode(grey16, ".png"), {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->bgr.type(), CV_8UC3);
  EXPECT_NEAR(r->bgr.at<cv::Vec3b>(5, 5)[0], 40000 / 257, 1);

  cv::Mat rgba16(20, 10, CV_16UC4, cv::Scalar(0, 65535, 0, 65535));
  auto r2 = decode_image(encode(rgba16, ".png"), {});
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_EQ(r2->bgr.at<cv::Vec3b>(3, 3), cv::Vec3b(0, 255, 0));
}

TEST(ImageDecoderTest, GreyJpegBecomesBgr) {
  cv::Mat grey(64, 48, CV_8UC1, cv::Scalar(100));
  auto r = decode_image(encode(grey, ".jpg"), {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->bgr.type(), CV_8UC3);
}

TEST(ImageDecoderTest, DecodesWebp) {
  cv::Mat image(48, 64, CV_8UC3, cv::Scalar(10, 20, 200));
  const std::string webp = encode(image, ".webp");
  if (webp.empty()) GTEST_SKIP() << "OpenCV built without WebP encoder";
  auto r = decode_image(webp, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->bgr.size(), cv::Size(64, 48));
}

TEST(ImageDecoderTest, AppliesExifOrientation) {
  // Insert an APP1 segment (EXIF, orientation 6 = rotate 90 clockwise) after SOI.
  const std::string jpeg = face_photo("obama_640x480.jpg");
  const std::string tiff = std::string("II*\0\x08\0\0\0", 8) + std::string("\x01\0", 2) +
                           std::string("\x12\x01\x03\0\x01\0\0\0\x06\0\0\0", 12) +
                           std::string("\0\0\0\0", 4);
  const std::string payload = std::string("Exif\0\0", 6) + tiff;
  const size_t length = payload.size() + 2;
  const std::string app1 = std::string("\xFF\xE1", 2) + static_cast<char>(length >> 8) +
                           static_cast<char>(length & 0xFF) + payload;
  const std::string rotated = jpeg.substr(0, 2) + app1 + jpeg.substr(2);
  EXPECT_EQ(read_exif_orientation(rotated), 6);
  auto r = decode_image(rotated, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->bgr.size(), cv::Size(480, 640));
  EXPECT_EQ(r->original_size, cv::Size(480, 640));
}

TEST(ImageDecoderTest, RotationFlagOfCameraCaptureIsApplied) {
  // Stored 640x480 with EXIF orientation 6: shown (and analysed) as 480x640 portrait.
  const std::string bytes =
      testing::read_bytes(testing::testdata("liveness/live_none_silentface_image_T1.jpg"));
  EXPECT_EQ(read_exif_orientation(bytes), 6);
  auto r = decode_image(bytes, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->bgr.size(), cv::Size(480, 640));
}

TEST(ImageDecoderTest, ZeroBytesIsInvalid) { EXPECT_EQ(error_code(""), "invalid_image"); }

TEST(ImageDecoderTest, TextFileIsUnsupported) {
  EXPECT_EQ(error_code("hello, this is not an image\n"), "unsupported_image");
  EXPECT_EQ(error_code("GIF89a......"), "unsupported_image");
}

TEST(ImageDecoderTest, TruncatedJpegIsInvalid) {
  const std::string jpeg = face_photo("obama_640x480.jpg");
  EXPECT_EQ(error_code(jpeg.substr(0, jpeg.size() / 2)), "invalid_image");
  EXPECT_EQ(error_code(jpeg.substr(0, 200)), "invalid_image");
  EXPECT_EQ(error_code(jpeg.substr(0, 3)), "invalid_image");
}

TEST(ImageDecoderTest, TruncatedPngIsInvalid) {
  const std::string png = face_photo("obama_32bit_rgba.png");
  EXPECT_EQ(error_code(png.substr(0, png.size() / 2)), "invalid_image");
  EXPECT_EQ(error_code(png.substr(0, 20)), "invalid_image");
}

TEST(ImageDecoderTest, HugeJpegHeaderIsRejectedBeforeDecoding) {
  std::string jpeg = face_photo("obama_640x480.jpg");
  // Patch the SOF0 frame's height/width to 60000x60000 (3.6 gigapixels).
  const size_t sof = jpeg.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  jpeg[sof + 5] = static_cast<char>(0xEA), jpeg[sof + 6] = static_cast<char>(0x60);
  jpeg[sof + 7] = static_cast<char>(0xEA), jpeg[sof + 8] = static_cast<char>(0x60);
  EXPECT_EQ(error_code(jpeg), "image_too_large");
}

TEST(ImageDecoderTest, PngBombIsRejectedFromItsHeader) {
  EXPECT_EQ(error_code(png_with_header(100000, 100000)), "image_too_large");
  EXPECT_EQ(error_code(png_with_header(7000, 7000)), "image_too_large");  // 49 MP
}

TEST(ImageDecoderTest, PixelLimitIsConfigurable) {
  DecodeLimits limits;
  limits.max_pixels = 100'000;
  EXPECT_EQ(error_code(face_photo("obama_640x480.jpg"), limits), "image_too_large");
}

TEST(ImageDecoderTest, TooManyBytesIsTooLarge) {
  DecodeLimits limits;
  limits.max_bytes = 1000;
  EXPECT_EQ(error_code(face_photo("obama_640x480.jpg"), limits), "image_too_large");
}

TEST(ImageDecoderTest, GarbageAfterValidMagicIsInvalid) {
  EXPECT_EQ(error_code(std::string("\xFF\xD8\xFF", 3) + std::string(500, 'x')), "invalid_image");
  EXPECT_EQ(error_code(std::string("\x89PNG\r\n\x1a\n", 8) + std::string(500, 'x')),
            "invalid_image");
  EXPECT_EQ(error_code(std::string("RIFF\0\0\0\0WEBP", 12) + std::string(100, 'x')),
            "invalid_image");
}

TEST(ImageDecoderTest, DctScalingKeepsOriginalSize) {
  DecodeLimits limits;
  limits.min_long_side = 400;
  auto r = decode_image(face_photo("obama_1.jpg"), limits);  // 910x1137
  ASSERT_TRUE(r.ok());
  EXPECT_LT(r->bgr.rows, 1137);
  EXPECT_GE(std::max(r->bgr.cols, r->bgr.rows), 400);
  EXPECT_EQ(r->original_size, cv::Size(910, 1137));
}

}  // namespace
}  // namespace faceid::face

namespace faceid::face {
namespace {

// Found by the fuzzer: a 16x4 PNG whose metadata chunks made libpng ask for 1.9 GB. Metadata
// chunks are now skipped unread; the image itself is corrupt.
TEST(ImageDecoderTest, FuzzedPngWithBogusMetadataIsRejectedWithoutHugeAllocation) {
  const unsigned char kInput[] = {
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
      0x52, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0xaf,
      0xcf, 0x82, 0x41, 0x00, 0x00, 0x00, 0x0d, 0x74, 0x52, 0x4e, 0x53, 0x78, 0x9c, 0x63, 0x60,
      0x60, 0x64, 0x80, 0x21, 0x65, 0x6e, 0x65, 0x6f, 0x75, 0x73, 0x20, 0x62, 0x79, 0x74, 0x65,
      0x73, 0x00, 0x7a, 0x54, 0x58, 0x74, 0x40, 0x22, 0x44, 0xae, 0x60, 0x82};
  auto r =
      decode_image(std::string_view(reinterpret_cast<const char*>(kInput), sizeof(kInput)), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "invalid_image");
}

}  // namespace
}  // namespace faceid::face
