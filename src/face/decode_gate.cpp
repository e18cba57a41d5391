// The gate is a counting semaphore: waiting is bounded so that a flood of oversized uploads
// turns into quick 503s for the excess, not into a queue of threads each holding a body.
#include "face/decode_gate.h"

#include "face/image_decoder.h"

namespace faceid::face {

DecodeGate::DecodeGate(int slots, std::chrono::milliseconds max_wait)
    : slots_(slots), max_wait_(max_wait), free_(slots) {}

Result<DecodedImage> DecodeGate::decode(std::string_view bytes, const DecodeLimits& limits) {
  if (!free_.try_acquire_for(max_wait_)) {
    Error busy = make_error("server_busy", "Server is busy; retry shortly");
    busy.retry_after_seconds = 1;
    return busy;
  }
  return decode_holding_slot(bytes, limits);
}

Result<DecodedImage> DecodeGate::decode_waiting(std::string_view bytes,
                                                const DecodeLimits& limits) {
  free_.acquire();
  return decode_holding_slot(bytes, limits);
}

Result<DecodedImage> DecodeGate::decode_holding_slot(std::string_view bytes,
                                                     const DecodeLimits& limits) {
  struct Release {
    std::counting_semaphore<>& s;
    ~Release() { s.release(); }
  } release{free_};
  return decode_image(bytes, limits);
}

}  // namespace faceid::face
