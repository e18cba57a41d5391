// decode_bench: time of decode_image on files, at full size and under a decoded-pixel cap
// (median of RUNS). Shows what scaling while decoding costs or saves per format.
// Usage: decode_bench CAP_PIXELS RUNS FILE...
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "face/image_decoder.h"

namespace {

double median_ms(const std::string& bytes, const faceid::face::DecodeLimits& limits, int runs,
                 std::string* outcome) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t = std::chrono::steady_clock::now();
    auto r = faceid::face::decode_image(bytes, limits);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
    *outcome = r ? std::to_string(r->bgr.cols) + "x" + std::to_string(r->bgr.rows) : r.error().code;
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s CAP_PIXELS RUNS FILE...\n", argv[0]);
    return 2;
  }
  const long long cap = std::stoll(argv[1]);
  const int runs = std::max(1, std::stoi(argv[2]));
  for (int i = 3; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    faceid::face::DecodeLimits full;
    faceid::face::DecodeLimits capped;
    capped.max_decoded_pixels = cap;
    std::string full_out, capped_out;
    const double f = median_ms(bytes, full, runs, &full_out);
    const double c = median_ms(bytes, capped, runs, &capped_out);
    std::printf("%-40s full %8.1f ms (%s)  capped %8.1f ms (%s)\n", argv[i], f, full_out.c_str(), c,
                capped_out.c_str());
  }
  return 0;
}
