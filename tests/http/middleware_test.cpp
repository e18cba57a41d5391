// Correlation ids, CORS, body limits and client IP resolution.
#include "http/middleware.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "http/correlation_id.h"
#include "http/server.h"

namespace faceid::http {
namespace {

Response ok(Request&) { return Response{}; }

TEST(CorrelationIdTest, AcceptsSafeCallerIdsOnly) {
  EXPECT_TRUE(is_acceptable_correlation_id("abc-123_x.y:z"));
  EXPECT_FALSE(is_acceptable_correlation_id(""));
  EXPECT_FALSE(is_acceptable_correlation_id("has space"));
  EXPECT_FALSE(is_acceptable_correlation_id("quote\"inject"));
  EXPECT_FALSE(is_acceptable_correlation_id(std::string(129, 'a')));
}

TEST(CorrelationIdTest, PrefersRequestIdThenCorrelationIdElseUuid) {
  EXPECT_EQ(correlation_id_for("req-1", "corr-1"), "req-1");
  EXPECT_EQ(correlation_id_for("", "corr-1"), "corr-1");
  EXPECT_EQ(correlation_id_for("bad id", "corr-1"), "corr-1");
  std::string a = correlation_id_for("", "");
  EXPECT_EQ(a.size(), 36u);
  EXPECT_NE(a, correlation_id_for("", ""));
}

TEST(CorrelationIdTest, MiddlewareEchoesTheId) {
  auto mw = correlation_id_middleware();
  Request req;
  req.headers["x-correlation-id"] = "given-7";
  Response res = mw(req, ok);
  EXPECT_EQ(req.correlation_id, "given-7");
  ASSERT_NE(res.find_header("X-Request-ID"), nullptr);
  EXPECT_EQ(*res.find_header("X-Request-ID"), "given-7");
  EXPECT_EQ(*res.find_header("X-Correlation-ID"), "given-7");
}

TEST(CorsTest, AllowedOriginIsEchoedOthersAreNot) {
  auto mw = cors_middleware({"http://app.test"});
  Request req;
  req.method = "GET";
  req.headers["origin"] = "http://app.test";
  Response res = mw(req, ok);
  ASSERT_NE(res.find_header("Access-Control-Allow-Origin"), nullptr);
  EXPECT_EQ(*res.find_header("Access-Control-Allow-Origin"), "http://app.test");

  Request other;
  other.method = "GET";
  other.headers["origin"] = "http://evil.test";
  EXPECT_EQ(mw(other, ok).find_header("Access-Control-Allow-Origin"), nullptr);
}

TEST(CorsTest, PreflightIsAnsweredWithoutCallingTheHandler) {
  auto mw = cors_middleware({"*"});
  Request req;
  req.method = "OPTIONS";
  req.headers["origin"] = "http://x.test";
  req.headers["access-control-request-method"] = "POST";
  bool called = false;
  Response res = mw(req, [&](Request&) {
    called = true;
    return Response{};
  });
  EXPECT_FALSE(called);
  EXPECT_EQ(res.status, 204);
  EXPECT_NE(res.find_header("Access-Control-Allow-Methods"), nullptr);
}

TEST(CorsTest, WildcardAnswersALiteralStarWithoutCredentials) {
  auto mw = cors_middleware({"*"});
  Request req;
  req.method = "GET";
  req.headers["origin"] = "https://evil.example";
  Response res = mw(req, ok);
  ASSERT_NE(res.find_header("Access-Control-Allow-Origin"), nullptr);
  EXPECT_EQ(*res.find_header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(res.find_header("Access-Control-Allow-Credentials"), nullptr);
}

TEST(CorsTest, NullOriginIsNeverAllowedEvenWhenListedOrWildcard) {
  for (auto origins : {std::vector<std::string>{"*"}, std::vector<std::string>{"null"}}) {
    auto mw = cors_middleware(origins);
    Request req;
    req.method = "OPTIONS";
    req.headers["origin"] = "null";
    req.headers["access-control-request-method"] = "POST";
    Response res = mw(req, ok);
    EXPECT_EQ(res.status, 403);
    EXPECT_EQ(res.find_header("Access-Control-Allow-Origin"), nullptr);
  }
}

TEST(CorsTest, ListedOriginGetsCredentialsAndVary) {
  auto mw = cors_middleware({"http://app.test", "*"});
  Request req;
  req.method = "GET";
  req.headers["origin"] = "http://app.test";
  Response res = mw(req, ok);
  EXPECT_EQ(*res.find_header("Access-Control-Allow-Origin"), "http://app.test");
  EXPECT_EQ(*res.find_header("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(*res.find_header("Vary"), "Origin");
}

TEST(CorsTest, EveryAnswerVariesByOriginWhenCorsIsOn) {
  auto mw = cors_middleware({"http://app.test"});
  for (const char* origin : {"", "http://evil.test", "http://app.test"}) {
    Request req;
    req.method = "GET";
    if (*origin) req.headers["origin"] = origin;
    Response res = mw(req, ok);
    ASSERT_NE(res.find_header("Vary"), nullptr) << origin;
    EXPECT_EQ(*res.find_header("Vary"), "Origin") << origin;
  }
  Request plain;
  plain.method = "GET";
  EXPECT_EQ(cors_middleware({})(plain, ok).find_header("Vary"), nullptr);  // CORS off
}

TEST(SecurityHeadersTest, CameraOnlyForThePageItselfAndNoOtherPowerfulFeature) {
  Response res;
  apply_security_headers(res);
  ASSERT_NE(res.find_header("Permissions-Policy"), nullptr);
  EXPECT_NE(res.find_header("Permissions-Policy")->find("camera=(self)"), std::string::npos);
  EXPECT_NE(res.find_header("Permissions-Policy")->find("microphone=()"), std::string::npos);
}

TEST(BodyLimitTest, JsonOverItsOwnCapIs413NamingIt) {
  auto mw = body_limit_middleware(1 << 20, 16 << 10);
  Request req;
  req.body_error = "too_large_json";
  Response res = mw(req, ok);
  EXPECT_EQ(res.status, 413);
  EXPECT_NE(nlohmann::json::parse(res.body)["error"]["message"].get<std::string>().find("16 KB"),
            std::string::npos);
}

TEST(BodyLimitTest, OversizeBodyIs413) {
  auto mw = body_limit_middleware(1 << 20);
  Request req;
  req.body_error = "too_large";
  Response res = mw(req, ok);
  EXPECT_EQ(res.status, 413);
  EXPECT_EQ(nlohmann::json::parse(res.body)["error"]["code"], "payload_too_large");
}

TEST(ClientIpTest, ForwardedForIsBelievedOnlyFromTrustedProxies) {
  EXPECT_EQ(resolve_client_ip("10.0.0.5", "1.2.3.4", {}), "10.0.0.5");
  EXPECT_EQ(resolve_client_ip("10.0.0.5", "1.2.3.4", {"10.0.0.5"}), "1.2.3.4");
  // The right-most untrusted hop wins: a client cannot spoof by prepending.
  EXPECT_EQ(resolve_client_ip("10.0.0.5", "6.6.6.6, 1.2.3.4", {"10.0.0.5"}), "1.2.3.4");
  EXPECT_EQ(resolve_client_ip("10.0.0.5", "1.2.3.4, 10.0.0.9", {"10.0.0.5", "10.0.0.9"}),
            "1.2.3.4");
}

}  // namespace
}  // namespace faceid::http
