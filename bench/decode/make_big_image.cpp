// Writes a SIDE x SIDE image with a face photo in its middle (a quarter of the side wide) on a
// smooth background, so it compresses under the upload limit however many pixels it has:
// the oversized uploads of bench/decode_flood.sh. Formats: png, jpeg (progressive),
// jpeg-baseline, webp (lossy), webp-lossless.
// Usage: make_big_image FACE_PHOTO OUT_FILE FORMAT SIDE
#include <cstdio>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr,
                 "usage: %s FACE_PHOTO OUT_FILE png|jpeg|jpeg-baseline|webp|webp-lossless SIDE\n",
                 argv[0]);
    return 2;
  }
  const std::string format = argv[3];
  const int side = std::stoi(argv[4]);
  cv::Mat face = cv::imread(argv[1], cv::IMREAD_COLOR);
  if (face.empty() || side < 64) return 2;
  cv::Mat canvas(side, side, CV_8UC3);
  for (int y = 0; y < side; ++y) {
    canvas.row(y).setTo(cv::Scalar(120 + 60 * y / side, 140, 160 - 60 * y / side));
  }
  const double f = side / 4.0 / face.cols;
  cv::Mat big;
  cv::resize(face, big, cv::Size(), f, f, cv::INTER_CUBIC);
  big.copyTo(canvas(cv::Rect((side - big.cols) / 2, (side - big.rows) / 2, big.cols, big.rows)));
  std::vector<int> params;
  std::string ext = "." + format;
  if (format == "jpeg") {
    params = {cv::IMWRITE_JPEG_QUALITY, 90, cv::IMWRITE_JPEG_PROGRESSIVE, 1};
    ext = ".jpg";
  } else if (format == "jpeg-baseline") {
    params = {cv::IMWRITE_JPEG_QUALITY, 90};
    ext = ".jpg";
  } else if (format == "webp") {
    params = {cv::IMWRITE_WEBP_QUALITY, 80};
  } else if (format == "webp-lossless") {
    params = {cv::IMWRITE_WEBP_QUALITY, 101};
    ext = ".webp";
  } else if (format != "png") {
    return 2;
  }
  std::vector<unsigned char> bytes;
  if (!cv::imencode(ext, canvas, bytes, params)) return 1;
  std::ofstream(argv[2], std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  std::printf("%s %dx%d %zu bytes\n", argv[2], side, side, bytes.size());
  return 0;
}
