// A fast 64-bit multiply-rotate hash for integrity checks of files the service writes for
// itself (saved face index, model caches): catches damage, not tampering. Fed in any chunking,
// it gives the same value: bytes are gathered into little-endian 64-bit words.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace faceid {

class Hash64 {
 public:
  void add(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    std::size_t i = 0;
    if (filled_ == 0) {  // whole words at once: the same value as byte by byte
      for (; i + 8 <= n; i += 8) {
        std::uint64_t w = 0;
        std::memcpy(&w, p + i, 8);
        mix(w);
      }
    }
    for (; i < n; ++i) {
      word_ |= static_cast<std::uint64_t>(p[i]) << (8 * filled_);
      if (++filled_ == 8) flush();
    }
  }
  std::uint64_t value() {
    if (filled_ != 0) flush();
    return h_ ^ (h_ >> 29);
  }

 private:
  void mix(std::uint64_t w) {
    h_ ^= w * 0x9E3779B97F4A7C15ULL;
    h_ = ((h_ << 31) | (h_ >> 33)) * 0xC2B2AE3D27D4EB4FULL;
  }
  void flush() {
    mix(word_);
    word_ = 0;
    filled_ = 0;
  }
  std::uint64_t h_ = 0x6A09E667F3BCC909ULL;
  std::uint64_t word_ = 0;
  int filled_ = 0;
};

}  // namespace faceid
