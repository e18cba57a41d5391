// Argon2id hashing and verification through libsodium's string API, which embeds the
// algorithm, parameters and salt in the stored value so limits can change without a migration.
#include "auth/password_hasher.h"

#include <sodium.h>

#include <array>

#include "auth/sodium_init.h"

namespace faceid::auth {

Result<std::string> hash_password(std::string_view password) {
  if (!ensure_sodium_initialized()) {
    return make_error("crypto_unavailable", "the cryptography library failed to initialise");
  }
  std::array<char, crypto_pwhash_STRBYTES> out{};
  // crypto_pwhash_str picks Argon2id (crypto_pwhash_ALG_DEFAULT) and a random salt.
  if (crypto_pwhash_str(out.data(), password.data(), password.size(),
                        crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return make_error("password_hash_failed", "could not hash the password");
  }
  return std::string(out.data());
}

bool verify_password(std::string_view stored_hash, std::string_view password) {
  if (!ensure_sodium_initialized()) return false;
  // libsodium wants a NUL-terminated string inside a buffer of crypto_pwhash_STRBYTES.
  std::array<char, crypto_pwhash_STRBYTES> buffer{};
  if (stored_hash.empty() || stored_hash.size() >= buffer.size()) return false;
  stored_hash.copy(buffer.data(), stored_hash.size());
  return crypto_pwhash_str_verify(buffer.data(), password.data(), password.size()) == 0;
}

}  // namespace faceid::auth
