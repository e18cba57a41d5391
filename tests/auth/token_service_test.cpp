// Tests for TokenService: issue/verify round trips, expiry on the injected clock, and hostile
// tokens (tampered, alg "none", other algorithms, wrong type).
#include "auth/token_service.h"

#include <gtest/gtest.h>
#include <jwt.h>
#include <sodium.h>

#include <cstdlib>
#include <set>
#include <string>
#include <vector>

namespace faceid::auth {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const std::string kSecret = "test-secret-that-is-at-least-32-bytes-long!!";

TokenOptions options(std::string alg = "HS256") {
  return TokenOptions{kSecret, std::move(alg), minutes(15), std::chrono::hours(24 * 7)};
}

std::string base64url(const std::string& in) {
  std::string out(sodium_base64_encoded_len(in.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(in.data()),
                    in.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

// Signs arbitrary claims with libjwt directly, as an attacker (or a misconfigured peer) would.
std::string forge(jwt_alg_t alg, const std::string& key, const std::string& claims_json) {
  jwt_t* jwt = nullptr;
  EXPECT_EQ(jwt_new(&jwt), 0);
  EXPECT_EQ(jwt_add_grants_json(jwt, claims_json.c_str()), 0);
  EXPECT_EQ(jwt_set_alg(jwt, alg, reinterpret_cast<const unsigned char*>(key.data()),
                        static_cast<int>(key.size())),
            0);
  char* encoded = jwt_encode_str(jwt);
  std::string token = encoded ? encoded : "";
  std::free(encoded);
  jwt_free(jwt);
  return token;
}

std::string valid_access_claims(const ManualClock& clock) {
  const long long now = std::chrono::duration_cast<seconds>(clock.now().time_since_epoch()).count();
  return R"({"sub":"u1","jti":"j1","iat":)" + std::to_string(now) + R"(,"exp":)" +
         std::to_string(now + 900) + R"(,"role":"admin","type":"access","fam":"f1"})";
}

class TokenServiceTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  TokenService service_{options(), clock_};
};

TEST_F(TokenServiceTest, AccessTokenRoundTripsItsClaims) {
  IssuedToken issued = service_.issue_access("user-42", Role::kAdmin, "session-7");
  EXPECT_EQ(issued.expires_at, clock_.now() + minutes(15));
  auto claims = service_.verify(issued.token, TokenType::kAccess);
  ASSERT_TRUE(claims.ok()) << claims.error().code;
  EXPECT_EQ(claims->subject, "user-42");
  EXPECT_EQ(claims->jti, issued.jti);
  EXPECT_EQ(claims->role, Role::kAdmin);
  EXPECT_EQ(claims->type, TokenType::kAccess);
  EXPECT_EQ(claims->issued_at, clock_.now());
  EXPECT_EQ(claims->expires_at, issued.expires_at);
  EXPECT_EQ(claims->family_id, "session-7");
}

TEST_F(TokenServiceTest, AccessTokenWithoutASessionIsRejected) {
  // Tokens that name no session could not be ended by logout: refuse them.
  const long long now =
      std::chrono::duration_cast<seconds>(clock_.now().time_since_epoch()).count();
  const std::string claims = R"({"sub":"u1","jti":"j1","iat":)" + std::to_string(now) +
                             R"(,"exp":)" + std::to_string(now + 900) +
                             R"(,"role":"user","type":"access"})";
  auto result = service_.verify(forge(JWT_ALG_HS256, kSecret, claims), TokenType::kAccess);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "invalid_token");
}

TEST_F(TokenServiceTest, RefreshTokenCarriesFamilyAndLongerExpiry) {
  const std::string family = TokenService::new_token_id();
  IssuedToken issued = service_.issue_refresh("user-42", family);
  EXPECT_EQ(issued.expires_at, clock_.now() + std::chrono::hours(24 * 7));
  auto claims = service_.verify(issued.token, TokenType::kRefresh);
  ASSERT_TRUE(claims.ok()) << claims.error().code;
  EXPECT_EQ(claims->subject, "user-42");
  EXPECT_EQ(claims->family_id, family);
  EXPECT_EQ(claims->jti, issued.jti);
  EXPECT_EQ(claims->type, TokenType::kRefresh);
}

TEST_F(TokenServiceTest, AmrClaimRoundTripsInAccessAndRefreshTokens) {
  const std::vector<std::string> amr = {"face", "liveness_challenge"};
  auto access =
      service_.verify(service_.issue_access("u", Role::kUser, "s1", amr).token, TokenType::kAccess);
  ASSERT_TRUE(access.ok()) << access.error().message;
  EXPECT_EQ(access->amr, amr);
  auto refresh = service_.verify(service_.issue_refresh("u", "s1", amr).token, TokenType::kRefresh);
  ASSERT_TRUE(refresh.ok()) << refresh.error().message;
  EXPECT_EQ(refresh->amr, amr);
  // Without one, the claim is absent.
  auto plain =
      service_.verify(service_.issue_access("u", Role::kUser, "s1").token, TokenType::kAccess);
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->amr.empty());
}

TEST_F(TokenServiceTest, AuthTimeIsTheSignInAndCarriesOverGivenOne) {
  const TimePoint signed_in = clock_.now();
  auto first =
      service_.verify(service_.issue_access("u", Role::kUser, "s1").token, TokenType::kAccess);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->auth_time.has_value());
  EXPECT_EQ(*first->auth_time, std::chrono::floor<seconds>(signed_in));
  clock_.advance(minutes(10));
  auto later = service_.verify(service_.issue_refresh("u", "s1", {}, first->auth_time).token,
                               TokenType::kRefresh);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->auth_time, first->auth_time);
  EXPECT_GT(later->issued_at, *first->auth_time);
}

TEST_F(TokenServiceTest, UserRoleIsPreserved) {
  auto claims =
      service_.verify(service_.issue_access("u", Role::kUser, "s1").token, TokenType::kAccess);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->role, Role::kUser);
}

TEST_F(TokenServiceTest, EachTokenGetsAUniqueUuidLikeJti) {
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    IssuedToken t = service_.issue_access("u", Role::kUser, "s1");
    ASSERT_EQ(t.jti.size(), 36u);
    EXPECT_EQ(t.jti[8], '-');
    EXPECT_EQ(t.jti[14], '4');
    ids.insert(t.jti);
  }
  EXPECT_EQ(ids.size(), 100u);
}

TEST_F(TokenServiceTest, TokenExpiresOnTheInjectedClockWithoutSleeping) {
  IssuedToken issued = service_.issue_access("u", Role::kUser, "s1");
  clock_.advance(minutes(15) - seconds(1));
  EXPECT_TRUE(service_.verify(issued.token, TokenType::kAccess).ok());
  clock_.advance(seconds(1));
  auto expired = service_.verify(issued.token, TokenType::kAccess);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, "token_expired");
}

TEST_F(TokenServiceTest, TamperedSignatureIsRejected) {
  std::string token = service_.issue_access("u", Role::kUser, "s1").token;
  // Flip a character in the middle of the signature (the last base64url character of an
  // HS256 signature carries two padding bits, so it is not a reliable place to tamper).
  char& c = token[token.rfind('.') + 10];
  c = (c == 'A') ? 'B' : 'A';
  auto result = service_.verify(token, TokenType::kAccess);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "invalid_token");
}

TEST_F(TokenServiceTest, TamperedPayloadIsRejected) {
  const std::string token = service_.issue_access("u", Role::kUser, "s1").token;
  const auto first_dot = token.find('.');
  const auto second_dot = token.find('.', first_dot + 1);
  const std::string forged_payload = base64url(valid_access_claims(clock_));  // role admin
  const std::string forged =
      token.substr(0, first_dot + 1) + forged_payload + token.substr(second_dot);
  auto result = service_.verify(forged, TokenType::kAccess);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "invalid_token");
}

TEST_F(TokenServiceTest, TokenSignedWithAnotherSecretIsRejected) {
  const std::string token =
      forge(JWT_ALG_HS256, "another-secret-of-sufficient-length-0000", valid_access_claims(clock_));
  auto result = service_.verify(token, TokenType::kAccess);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "invalid_token");
}

TEST_F(TokenServiceTest, AlgNoneTokenIsRejected) {
  const std::string header = base64url(R"({"alg":"none","typ":"JWT"})");
  const std::string payload = base64url(valid_access_claims(clock_));
  for (const std::string& token :
       {header + "." + payload + ".", header + "." + payload, header + "." + payload + ".x"}) {
    auto result = service_.verify(token, TokenType::kAccess);
    ASSERT_FALSE(result.ok()) << token;
    EXPECT_EQ(result.error().code, "invalid_token");
  }
}

TEST_F(TokenServiceTest, OtherHmacAlgorithmWithTheSameKeyIsRejected) {
  // Same key, valid signature, but HS384/HS512 instead of the configured HS256.
  for (jwt_alg_t alg : {JWT_ALG_HS384, JWT_ALG_HS512}) {
    const std::string token = forge(alg, kSecret, valid_access_claims(clock_));
    ASSERT_FALSE(token.empty());
    auto result = service_.verify(token, TokenType::kAccess);
    ASSERT_FALSE(result.ok()) << jwt_alg_str(alg);
    EXPECT_EQ(result.error().code, "invalid_token");
  }
  // The same forged claims signed with HS256 do pass, so the rejection above is about the alg.
  EXPECT_TRUE(
      service_
          .verify(forge(JWT_ALG_HS256, kSecret, valid_access_claims(clock_)), TokenType::kAccess)
          .ok());
}

TEST_F(TokenServiceTest, ConfiguredHs512ServiceRejectsHs256Tokens) {
  TokenService hs512(options("HS512"), clock_);
  IssuedToken own = hs512.issue_access("u", Role::kUser, "s1");
  EXPECT_TRUE(hs512.verify(own.token, TokenType::kAccess).ok());
  EXPECT_FALSE(
      hs512.verify(service_.issue_access("u", Role::kUser, "s1").token, TokenType::kAccess).ok());
}

TEST_F(TokenServiceTest, RefreshTokenIsNotAcceptedAsAccessTokenAndViceVersa) {
  auto as_access = service_.verify(service_.issue_refresh("u", "fam").token, TokenType::kAccess);
  ASSERT_FALSE(as_access.ok());
  EXPECT_EQ(as_access.error().code, "invalid_token");
  auto as_refresh =
      service_.verify(service_.issue_access("u", Role::kUser, "s1").token, TokenType::kRefresh);
  ASSERT_FALSE(as_refresh.ok());
  EXPECT_EQ(as_refresh.error().code, "invalid_token");
}

TEST_F(TokenServiceTest, MissingClaimsAndUnknownRoleAreRejected) {
  const std::string no_exp =
      R"({"sub":"u","jti":"j","iat":1700000000,"role":"user","type":"access"})";
  EXPECT_FALSE(service_.verify(forge(JWT_ALG_HS256, kSecret, no_exp), TokenType::kAccess).ok());
  const std::string bad_role =
      R"({"sub":"u","jti":"j","iat":1700000000,"exp":1800000000,"role":"root","type":"access"})";
  EXPECT_FALSE(service_.verify(forge(JWT_ALG_HS256, kSecret, bad_role), TokenType::kAccess).ok());
  const std::string string_exp =
      R"({"sub":"u","jti":"j","iat":1700000000,"exp":"1800000000","role":"user","type":"access"})";
  EXPECT_FALSE(service_.verify(forge(JWT_ALG_HS256, kSecret, string_exp), TokenType::kAccess).ok());
}

TEST_F(TokenServiceTest, GarbageIsInvalidNotACrash) {
  for (const std::string& token :
       std::vector<std::string>{"", "abc", "a.b.c", "....", std::string(10000, 'a')}) {
    auto result = service_.verify(token, TokenType::kAccess);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, "invalid_token");
  }
}

TEST(TokenServiceConfig, RejectsUnknownAlgorithmAndEmptySecret) {
  ManualClock clock;
  EXPECT_FALSE(TokenService::validate(options("RS256")).ok());
  EXPECT_FALSE(TokenService::validate(options("none")).ok());
  EXPECT_FALSE(TokenService::create(TokenOptions{"", "HS256", minutes(1), minutes(2)}, clock).ok());
  EXPECT_TRUE(TokenService::create(options("HS384"), clock).ok());
  EXPECT_THROW(TokenService(options("HS1"), clock), std::invalid_argument);
}

TEST(TokenHash, IsHexSha256AndDeterministic) {
  // SHA-256("abc") from FIPS 180-2.
  EXPECT_EQ(TokenService::token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(TokenService::token_hash("x"), TokenService::token_hash("x"));
  EXPECT_NE(TokenService::token_hash("x"), TokenService::token_hash("y"));
}

TEST(ConstantTimeEqual, ComparesContentsAndLengths) {
  EXPECT_TRUE(TokenService::constant_time_equal("abc", "abc"));
  EXPECT_TRUE(TokenService::constant_time_equal("", ""));
  EXPECT_FALSE(TokenService::constant_time_equal("abc", "abd"));
  EXPECT_FALSE(TokenService::constant_time_equal("abc", "abcd"));
}

}  // namespace
}  // namespace faceid::auth
