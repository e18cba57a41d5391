// Password hashing for accounts: Argon2id (libsodium crypto_pwhash_str) at the INTERACTIVE
// limits, plus a check against a small list of the most common passwords.
// Thread-safe: all functions are stateless (libsodium is initialised once, race-free).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace faceid::auth {

// Hashes `password` into libsodium's self-describing string ("$argon2id$v=19$m=...").
// The salt is random, so two calls give different strings. Takes ~70 ms and 64 MiB on purpose.
// Errors: "crypto_unavailable" (libsodium failed to initialise), "password_hash_failed"
// (typically out of memory).
Result<std::string> hash_password(std::string_view password);

// True when `password` matches `stored_hash` (a string made by hash_password). Any malformed
// or foreign hash string gives false, never an error. Comparison is constant-time (libsodium).
bool verify_password(std::string_view stored_hash, std::string_view password);

// True when `password` is on the embedded list of the ~200 most common passwords,
// compared case-insensitively (ASCII). Used to reject weak passwords at registration.
bool is_common_password(std::string_view password);

}  // namespace faceid::auth
