// Files the service writes for itself under models/cache (packed copies of models that are
// slow to decode): written through a checksumming writer to a per-process temp file and
// renamed into place (several processes may start at once), read back only when the trailing
// Hash64 of their bytes holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <ostream>
#include <string>

#include "common/hash64.h"
#include "common/result.h"

namespace faceid::face {

class CacheWriter {
 public:
  explicit CacheWriter(std::ostream& out) : out_(out) {}
  void put(const void* data, std::size_t n) {
    hash_.add(data, n);
    out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
  }
  template <typename T>
  void put(const T& v) {
    put(&v, sizeof(T));
  }
  void finish() { put(hash_.value()); }

 private:
  std::ostream& out_;
  Hash64 hash_;
};

class CacheReader {
 public:
  explicit CacheReader(std::istream& in) : in_(in) {}
  bool get(void* data, std::size_t n) {
    if (!in_.read(static_cast<char*>(data), static_cast<std::streamsize>(n))) return false;
    hash_.add(data, n);
    return true;
  }
  template <typename T>
  bool get(T* v) {
    return get(v, sizeof(T));
  }
  // After the last field: the stored checksum matches and nothing follows it.
  bool checksum_matches() {
    const std::uint64_t expected = hash_.value();
    std::uint64_t stored = 0;
    return in_.read(reinterpret_cast<char*>(&stored), sizeof(stored)) && stored == expected &&
           in_.peek() == std::char_traits<char>::eof();
  }

 private:
  std::istream& in_;
  Hash64 hash_;
};

// Writes `path` atomically: body() puts the content, the checksum is appended.
Status write_cache_file(const std::string& path, const std::function<void(CacheWriter&)>& body);

}  // namespace faceid::face
