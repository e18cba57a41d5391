// One-time libsodium initialisation shared by the auth room (private header).
// Thread-safe: the first caller initialises, every later caller sees the cached outcome.
#pragma once

namespace faceid::auth {

// Returns true when libsodium is usable (sodium_init() succeeded now or earlier).
bool ensure_sodium_initialized();

}  // namespace faceid::auth
