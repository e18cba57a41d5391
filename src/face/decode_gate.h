// DecodeGate: the process-wide cap on image decodes running at once. A decode's memory (its
// decoded pixels and any whole-image state of the codec) exists only while it runs, so the
// decoders' share of the process's memory is at most slots x the per-decode worst case,
// however many requests arrive together. Thread-safe; shared by the face engine and the
// liveness verifier of one process.
#pragma once

#include <chrono>
#include <memory>
#include <semaphore>
#include <string_view>

#include "common/result.h"
#include "face/decode_limits.h"

namespace faceid::face {

struct DecodedImage;  // image_decoder.h (kept out of here: it brings OpenCV)

class DecodeGate {
 public:
  DecodeGate(int slots, std::chrono::milliseconds max_wait);

  // decode_image(bytes, limits) once one of the slots is free. Errors: decode_image's, and
  // server_busy (retry_after_seconds = 1) when none frees within max_wait.
  Result<DecodedImage> decode(std::string_view bytes, const DecodeLimits& limits);
  // The same, waiting as long as it takes: for a second look at an image this request already
  // decoded once (refusing then would waste the work done, or worse, leave a check without
  // its pixels).
  Result<DecodedImage> decode_waiting(std::string_view bytes, const DecodeLimits& limits);

  int slots() const { return slots_; }

 private:
  Result<DecodedImage> decode_holding_slot(std::string_view bytes, const DecodeLimits& limits);

  const int slots_;
  const std::chrono::milliseconds max_wait_;
  std::counting_semaphore<> free_;
};

using DecodeGatePtr = std::shared_ptr<DecodeGate>;

}  // namespace faceid::face
