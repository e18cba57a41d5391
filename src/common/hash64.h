// A fast 64-bit multiply-xor hash for integrity checks of files the service writes for itself
// (model caches): catches damage, not tampering. Fed in any chunking, it gives the same value.
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
        std::memcpy(&word_, p + i, 8);
        mix();
      }
    }
    for (; i < n; ++i) {
      word_ |= static_cast<std::uint64_t>(p[i]) << (8 * filled_);
      if (++filled_ == 8) mix();
    }
  }
  std::uint64_t value() {
    if (filled_ != 0) mix();
    return h_ ^ (h_ >> 31);
  }

 private:
  void mix() {
    h_ = (h_ ^ word_) * 0x9E3779B97F4A7C15ull;
    h_ ^= h_ >> 29;
    word_ = 0;
    filled_ = 0;
  }
  std::uint64_t h_ = 0x84222325CBF29CE4ull;
  std::uint64_t word_ = 0;
  int filled_ = 0;
};

}  // namespace faceid
