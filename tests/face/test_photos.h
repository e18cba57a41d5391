// Helpers shared by the face tests: read photos from the shared testdata folder.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

namespace faceid::face::testing {

inline std::string testdata(const std::string& relative) {
  return std::string(FACEID_TESTDATA_DIR) + "/" + relative;
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string face_photo(const std::string& file) {
  return read_bytes(testdata("faces/" + file));
}

}  // namespace faceid::face::testing
