// Field rules and the confidence function.
#include "auth/account_rules.h"

#include <gtest/gtest.h>

namespace faceid::auth {
namespace {

TEST(AccountRulesTest, UsernamesAreThreeToFiftySafeCharacters) {
  EXPECT_EQ(check_username("bob"), "");
  EXPECT_EQ(check_username("a.b-c_9"), "");
  EXPECT_NE(check_username("ab"), "");
  EXPECT_NE(check_username(std::string(51, 'a')), "");
  EXPECT_NE(check_username("has space"), "");
  EXPECT_NE(check_username("semi;colon"), "");
  EXPECT_NE(check_username("ünï"), "");
}

TEST(AccountRulesTest, EmailsNeedALocalPartAndADottedDomain) {
  EXPECT_EQ(check_email("a@example.com"), "");
  EXPECT_EQ(check_email("first.last+tag@sub.example.co"), "");
  for (const char* bad : {"", "plain", "@example.com", "a@", "a@b", "a@@b.com", "a@b..com",
                          ".a@b.com", "a..b@c.com", "a@-b.com", "a b@c.com"}) {
    EXPECT_NE(check_email(bad), "") << bad;
  }
  EXPECT_EQ(normalize_email("  Mixed@Example.COM "), "mixed@example.com");
}

TEST(AccountRulesTest, PasswordsMustBeLongUncommonAndNotTheUsername) {
  EXPECT_EQ(check_password("Correct-Horse-42", "bob"), "");
  EXPECT_NE(check_password("short", "bob"), "");
  EXPECT_NE(check_password("password", "bob"), "");
  EXPECT_NE(check_password("longusername", "longusername"), "");
  // Any letter case or look-alike spelling of the username is the username.
  EXPECT_NE(check_password("LongUserName", "longusername"), "");
  EXPECT_NE(check_password("L0ngUsername.", "longusername"), "");
  EXPECT_EQ(check_password("longusername-and-more", "longusername"), "");
  EXPECT_NE(check_password(std::string(129, 'x'), "bob"), "");
}

TEST(AccountRulesTest, ConfidenceIsOneAtZeroHalfAtThresholdZeroAtTwice) {
  EXPECT_DOUBLE_EQ(confidence_from_distance(0.0, 0.6), 1.0);
  EXPECT_DOUBLE_EQ(confidence_from_distance(0.6, 0.6), 0.5);
  EXPECT_DOUBLE_EQ(confidence_from_distance(1.2, 0.6), 0.0);
  EXPECT_DOUBLE_EQ(confidence_from_distance(5.0, 0.6), 0.0);
  EXPECT_GT(confidence_from_distance(0.3, 0.6), confidence_from_distance(0.4, 0.6));
}

}  // namespace
}  // namespace faceid::auth
