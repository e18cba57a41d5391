// Router matching, path parameters, 404/405 and the error shape.
#include "http/router.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http/error_response.h"

namespace faceid::http {
namespace {

Handler named(std::string name) {
  return [name](Request& r) {
    Response res;
    res.body = name + (r.path_params.count("id") ? ":" + r.path_params.at("id") : "");
    return res;
  };
}

Request make(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.correlation_id = "cid-1";
  return r;
}

TEST(RouterTest, MatchesLiteralAndParameterSegments) {
  Router router;
  router.get("/api/v1/users/me", named("me"));
  router.get("/api/v1/users/{id}", named("user"));
  router.post("/api/v1/admin/users/{id}/unlock", named("unlock"));

  auto me = make("GET", "/api/v1/users/me");
  EXPECT_EQ(router.handle(me).body, "me");
  EXPECT_EQ(me.route, "/api/v1/users/me");

  auto user = make("GET", "/api/v1/users/42");
  EXPECT_EQ(router.handle(user).body, "user:42");
  EXPECT_EQ(user.route, "/api/v1/users/{id}");

  auto unlock = make("POST", "/api/v1/admin/users/abc/unlock");
  EXPECT_EQ(router.handle(unlock).body, "unlock:abc");
}

TEST(RouterTest, LiteralRouteWinsRegardlessOfRegistrationOrder) {
  Router router;
  router.get("/users/{id}", named("param"));
  router.get("/users/me", named("literal"));
  auto r = make("GET", "/users/me");
  EXPECT_EQ(router.handle(r).body, "literal");
}

TEST(RouterTest, OnlyTheCanonicalPathMatchesOtherSpellingsAre404) {
  Router router;
  router.get("/health", named("h"));
  router.post("/api/v1/auth/login", named("login"));
  for (const char* path : {"/health/", "//health", "/./health", "/x/../health"}) {
    auto r = make("GET", path);
    EXPECT_EQ(router.handle(r).status, 404) << path;
    EXPECT_EQ(r.route, kUnmatchedRoute) << path;
  }
  auto slash = make("POST", "/api/v1/auth/login/");
  EXPECT_EQ(router.handle(slash).status, 404);
  auto r = make("GET", "/health");
  EXPECT_EQ(router.handle(r).body, "h");
}

TEST(RouterTest, MiddlewareSeesTheMatchedRouteTemplate) {
  Router router;
  std::string seen;
  router.use([&](Request& req, const Next& next) {
    seen = req.route;
    return next(req);
  });
  router.get("/users/{id}", named("u"));
  auto r = make("GET", "/users/42");
  router.handle(r);
  EXPECT_EQ(seen, "/users/{id}");
}

TEST(RouterTest, UnknownPathIsJson404WithCorrelationId) {
  Router router;
  router.get("/health", named("h"));
  auto r = make("GET", "/nope");
  Response res = router.handle(r);
  EXPECT_EQ(res.status, 404);
  auto j = nlohmann::json::parse(res.body);
  EXPECT_EQ(j["error"]["code"], "not_found");
  EXPECT_EQ(j["error"]["correlation_id"], "cid-1");
  EXPECT_TRUE(j["error"]["details"].is_array());
  EXPECT_EQ(r.route, kUnmatchedRoute);
}

TEST(RouterTest, WrongMethodIs405WithAllowHeader) {
  Router router;
  router.get("/things", named("g"));
  router.del("/things", named("d"));
  auto r = make("POST", "/things");
  Response res = router.handle(r);
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(nlohmann::json::parse(res.body)["error"]["code"], "method_not_allowed");
  ASSERT_NE(res.find_header("Allow"), nullptr);
  EXPECT_EQ(*res.find_header("Allow"), "DELETE, GET");
}

TEST(RouterTest, HeadFallsBackToGet) {
  Router router;
  router.get("/health", named("h"));
  auto r = make("HEAD", "/health");
  EXPECT_EQ(router.handle(r).status, 200);
}

TEST(RouterTest, HandlerExceptionBecomesGeneric500WithoutDetails) {
  Router router;
  router.get("/boom", [](Request&) -> Response { throw std::runtime_error("secret internals"); });
  auto r = make("GET", "/boom");
  Response res = router.handle(r);
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.body.find("secret internals"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(res.body)["error"]["code"], "internal_error");
  EXPECT_EQ(r.internal_error, "secret internals");
}

TEST(RouterTest, MiddlewareRunsOutermostFirst) {
  Router router;
  std::string trace;
  router.use([&](Request& r, const Next& next) {
    trace += "a>";
    auto res = next(r);
    trace += "<a";
    return res;
  });
  router.use([&](Request& r, const Next& next) {
    trace += "b>";
    auto res = next(r);
    trace += "<b";
    return res;
  });
  router.get("/x", [&](Request&) {
    trace += "h";
    return Response{};
  });
  auto r = make("GET", "/x");
  router.handle(r);
  EXPECT_EQ(trace, "a>b>h<b<a");
}

TEST(ErrorResponseTest, HasTheOneErrorShape) {
  Response res = error_response(422, "validation_error", "bad", {"username: too short"}, "c-9");
  EXPECT_EQ(res.status, 422);
  EXPECT_EQ(res.content_type, "application/json");
  auto j = nlohmann::json::parse(res.body);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j["error"]["code"], "validation_error");
  EXPECT_EQ(j["error"]["message"], "bad");
  EXPECT_EQ(j["error"]["details"][0], "username: too short");
  EXPECT_EQ(j["error"]["correlation_id"], "c-9");
}

TEST(RequestTest, QueryParametersAreDecoded) {
  Request r;
  r.query = "hours=24&name=a%20b+c&flag";
  EXPECT_EQ(r.query_param("hours"), "24");
  EXPECT_EQ(r.query_param("name"), "a b c");
  EXPECT_EQ(r.query_param("flag"), "");
  EXPECT_FALSE(r.query_param("missing").has_value());
}

}  // namespace
}  // namespace faceid::http
