// sodium_init() wrapped in a function-local static so it runs exactly once, race-free.
#include "auth/sodium_init.h"

#include <sodium.h>

namespace faceid::auth {

bool ensure_sodium_initialized() {
  // C++ guarantees thread-safe initialisation of function-local statics; sodium_init() returns
  // 1 when a previous call already succeeded, 0 on first success, -1 on failure.
  static const bool kInitialized = sodium_init() >= 0;
  return kInitialized;
}

}  // namespace faceid::auth
