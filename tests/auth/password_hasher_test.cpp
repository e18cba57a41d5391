// Tests for Argon2id password hashing and the common-password list.
#include "auth/password_hasher.h"

#include <gtest/gtest.h>

#include <string>

namespace faceid::auth {
namespace {

TEST(PasswordHasher, HashIsArgon2idAndVerifiesTheSamePassword) {
  auto hash = hash_password("correct horse battery staple");
  ASSERT_TRUE(hash.ok()) << hash.error().message;
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u) << *hash;
  EXPECT_TRUE(verify_password(*hash, "correct horse battery staple"));
}

TEST(PasswordHasher, WrongPasswordDoesNotVerify) {
  auto hash = hash_password("correct horse battery staple");
  ASSERT_TRUE(hash.ok());
  EXPECT_FALSE(verify_password(*hash, "correct horse battery stapLe"));
  EXPECT_FALSE(verify_password(*hash, ""));
}

TEST(PasswordHasher, SamePasswordHashesDifferentlyEachTime) {
  auto a = hash_password("s3cret-passphrase");
  auto b = hash_password("s3cret-passphrase");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);  // random salt
  EXPECT_TRUE(verify_password(*a, "s3cret-passphrase"));
  EXPECT_TRUE(verify_password(*b, "s3cret-passphrase"));
}

TEST(PasswordHasher, MalformedStoredHashIsRejectedNotAnError) {
  EXPECT_FALSE(verify_password("", "anything"));
  EXPECT_FALSE(verify_password("not-a-hash", "not-a-hash"));
  EXPECT_FALSE(verify_password(std::string(500, 'x'), "anything"));
}

TEST(PasswordHasher, PasswordWithEmbeddedNulIsHashedWhole) {
  const std::string with_nul("abc\0def", 7);
  auto hash = hash_password(with_nul);
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(verify_password(*hash, with_nul));
  EXPECT_FALSE(verify_password(*hash, "abc"));
}

TEST(CommonPasswords, CommonPasswordsAreDetectedCaseInsensitively) {
  EXPECT_TRUE(is_common_password("password"));
  EXPECT_TRUE(is_common_password("PassWord"));
  EXPECT_TRUE(is_common_password("12345678"));
  EXPECT_TRUE(is_common_password("QWERTY123"));
  EXPECT_TRUE(is_common_password("iloveyou"));
}

TEST(CommonPasswords, UncommonPasswordsPass) {
  EXPECT_FALSE(is_common_password("Tr0ub4dor&3-zebra"));
  EXPECT_FALSE(is_common_password("password-but-longer-and-odd"));
  EXPECT_FALSE(is_common_password(""));
}

}  // namespace
}  // namespace faceid::auth
