// End-to-end tests of the accounts and face-authentication API on the embedded default:
// the real binary, real models, real photos.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "e2e/api_test_support.h"
#include "support/backends.h"

namespace faceid::testing {
namespace {

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(recognition_env());
    ASSERT_TRUE(server_->running()) << server_->output();
    client_ = std::make_unique<HttpClient>(server_->base_url());
  }
  HttpClient& c() { return *client_; }
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(ApiTest, RegisteredFaceLogsInWithOtherPhotosOfTheSamePerson) {
  auto reg = register_user(c(), "obama", photo("obama_1.jpg"));
  ASSERT_EQ(reg.status, 201) << reg.body;
  auto j = reg.json();
  EXPECT_EQ(j["user"]["username"], "obama");
  EXPECT_EQ(j["user"]["email"], "obama@example.com");
  EXPECT_TRUE(j["user"]["is_active"].get<bool>());
  EXPECT_EQ(j["user"]["id"].get<std::string>().size(), 36u);
  EXPECT_FALSE(j["user"].contains("password_hash"));
  for (const char* p : {"obama_2.jpg", "obama_3.jpg", "obama_4.jpg"}) {
    auto r = login(c(), photo(p));
    ASSERT_EQ(r.status, 200) << p << " " << r.body;
    auto b = r.json();
    EXPECT_EQ(b["user"]["username"], "obama") << p;
    EXPECT_EQ(b["token_type"], "bearer");
    EXPECT_GT(b["expires_in"].get<int>(), 0);
    EXPECT_FALSE(b["access_token"].get<std::string>().empty());
    EXPECT_FALSE(b["refresh_token"].get<std::string>().empty());
    EXPECT_GT(b["confidence_score"].get<double>(), 0.5) << p;
    EXPECT_TRUE(b["liveness_score"].is_null());  // liveness off for web photos
  }
}

TEST_F(ApiTest, OtherPeopleDoNotLogInAsObama) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
  for (const char* p : {"biden_1.jpg", "biden_2.jpg", "kit_harington_1.jpg", "kit_harington_2.jpg",
                        "kit_harington_3.jpg", "rose_leslie_1.jpg", "rose_leslie_2.jpg",
                        "alex_lacamoire_1.jpg", "alex_lacamoire_2.jpg"}) {
    auto r = login(c(), photo(p));
    EXPECT_EQ(r.status, 401) << p << " " << r.body;
    EXPECT_EQ(r.json()["error"]["code"], "authentication_failed") << p;
  }
}

TEST_F(ApiTest, TwoRegisteredPeopleEachLogInAsThemselves) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
  ASSERT_EQ(register_user(c(), "biden", photo("biden_1.jpg")).status, 201);
  EXPECT_EQ(login(c(), photo("obama_2.jpg")).json()["user"]["username"], "obama");
  EXPECT_EQ(login(c(), photo("biden_2.jpg")).json()["user"]["username"], "biden");
}

TEST_F(ApiTest, TakenUsernameOrEmailGetsOneNeutralRefusal) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
  auto same_name = register_user(c(), "obama", photo("biden_1.jpg"), "other@example.com");
  auto other_case = register_user(c(), "OBAMA", photo("biden_1.jpg"), "other2@example.com");
  auto same_email = register_user(c(), "joe", photo("biden_1.jpg"), "OBAMA@example.com");
  for (const auto* r : {&same_name, &other_case, &same_email}) {
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_EQ(r->json()["error"]["code"], "registration_refused");
    // Nothing says which field clashed.
    EXPECT_TRUE(r->json()["error"]["details"].empty()) << r->body;
    EXPECT_EQ(r->json()["error"]["message"], same_name.json()["error"]["message"]);
  }
  // "Obama" signs in as the one account "obama".
  auto v = verify(c(), "Obama", photo("obama_2.jpg"));
  ASSERT_EQ(v.status, 200) << v.body;
  EXPECT_EQ(v.json()["user"]["username"], "obama");
}

// Issue 20, item 10: an unusable photo gets the same answer whether the name is taken or not.
TEST_F(ApiTest, AnUnusablePhotoAnswersAlikeForTakenAndFreeNames) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
  const std::string junk(2048, 'x');
  auto taken = register_user(c(), "obama", junk, "other@example.com");
  auto free_name = register_user(c(), "nobody_yet", junk);
  EXPECT_EQ(taken.status, free_name.status) << taken.body << " / " << free_name.body;
  EXPECT_EQ(taken.json()["error"]["code"], free_name.json()["error"]["code"]);
}

TEST_F(ApiTest, SameFaceUnderANewUsernameGetsTheSameNeutralRefusal) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
  auto r = register_user(c(), "barack", photo("obama_2.jpg"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["code"], "registration_refused");
}

TEST_F(ApiTest, RegistrationSignsTheNewUserIn) {
  auto r = register_user(c(), "obama", photo("obama_1.jpg"));
  ASSERT_EQ(r.status, 201) << r.body;
  auto j = r.json();
  EXPECT_EQ(j["user"]["username"], "obama");
  EXPECT_EQ(j["token_type"], "bearer");
  EXPECT_GT(j["expires_in"].get<int>(), 0);
  ASSERT_TRUE(j["refresh_token"].is_string());
  auto me = c().get("/api/v1/users/me", bearer(j["access_token"]));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json()["username"], "obama");
}

TEST_F(ApiTest, BadFieldsAre422ListingEachField) {
  auto r =
      c().post_multipart("/api/v1/auth/register",
                         {{"username", "x!"}, {"email", "not-an-email"}, {"password", "password"}});
  ASSERT_EQ(r.status, 422) << r.body;
  auto j = r.json();
  EXPECT_EQ(j["error"]["code"], "validation_error");
  std::string details = j["error"]["details"].dump();
  for (const char* field : {"username:", "email:", "password:", "face_image:"}) {
    EXPECT_NE(details.find(field), std::string::npos) << field << " missing in " << details;
  }
}

TEST_F(ApiTest, NonMultipartRegistrationIs415) {
  auto r = c().post_json("/api/v1/auth/register", {{"username", "abc"}});
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(r.json()["error"]["code"], "unsupported_media_type");
}

TEST_F(ApiTest, FaceErrorsHaveClearCodes) {
  auto none = login(c(), std::string(2000, 'x'));
  EXPECT_EQ(none.status, 415) << none.body;
  EXPECT_EQ(none.json()["error"]["code"], "unsupported_image");
  auto group = register_user(c(), "group", photo("group_obama_biden.jpg"));
  EXPECT_EQ(group.status, 400);
  EXPECT_EQ(group.json()["error"]["code"], "multiple_faces");
  std::string jpeg = photo("obama_1.jpg");
  auto truncated = login(c(), jpeg.substr(0, jpeg.size() / 3));
  EXPECT_EQ(truncated.status, 400) << truncated.body;
  EXPECT_EQ(truncated.json()["error"]["code"], "invalid_image");
  // Fixed texts: nothing from the decoder reaches the client (it goes to the log).
  EXPECT_EQ(truncated.json()["error"]["message"], "The image could not be decoded");
  EXPECT_EQ(none.json()["error"]["message"], "Unsupported image format: send JPEG, PNG or WebP");
  sleep(2);  // the log file is flushed every second
  std::string log = read_file(server_->dir().file("logs/app.log"));
  EXPECT_NE(log.find(truncated.json()["error"]["correlation_id"].get<std::string>()),
            std::string::npos);
}

TEST_F(ApiTest, TokenErrorsHaveOneFixedMessage) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
  auto l = login(c(), photo("obama_2.jpg")).json();
  std::string access = l["access_token"];
  std::string refresh = l["refresh_token"];
  std::string tampered = access;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  for (const auto& token : {tampered, refresh, std::string("x"), std::string(5000, 'a')}) {
    auto r = c().get("/api/v1/users/me", bearer(token));
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.json()["error"]["code"], "invalid_token");
    EXPECT_EQ(r.json()["error"]["message"], "Invalid or revoked token") << r.body;
  }
}

TEST_F(ApiTest, LogoutEndsTheAccessTokenAtOnce) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
  auto l = login(c(), photo("obama_2.jpg")).json();
  std::string access = l["access_token"];
  auto other = login(c(), photo("obama_3.jpg")).json();  // a second session of the same user
  ASSERT_EQ(c().get("/api/v1/users/me", bearer(access)).status, 200);
  ASSERT_EQ(c().post_json("/api/v1/auth/logout", {{"refresh_token", l["refresh_token"]}}).status,
            200);
  auto after = c().get("/api/v1/users/me", bearer(access));
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(after.json()["error"]["code"], "invalid_token");
  // Only that session ended.
  EXPECT_EQ(c().get("/api/v1/users/me", bearer(other["access_token"])).status, 200);
}

TEST(ApiSessionTest, AnEndedSessionStaysEndedAfterARestart) {
  TempDir shared;
  Env env = recognition_env({{"DATA_DIR", shared.file("data")}});
  std::string access;
  std::string live_access;
  {
    ServerProcess first(env);
    ASSERT_TRUE(first.running()) << first.output();
    HttpClient c(first.base_url());
    auto reg = register_user(c, "obama", photo("obama_1.jpg"));
    ASSERT_EQ(reg.status, 201) << reg.body;
    access = reg.json()["access_token"];
    live_access = login(c, photo("obama_2.jpg")).json()["access_token"];
    ASSERT_EQ(
        c.post_json("/api/v1/auth/logout", {{"refresh_token", reg.json()["refresh_token"]}}).status,
        200);
  }
  ServerProcess second(env);
  ASSERT_TRUE(second.running()) << second.output();
  HttpClient c(second.base_url());
  EXPECT_EQ(c.get("/api/v1/users/me", bearer(access)).status, 401);
  EXPECT_EQ(c.get("/api/v1/users/me", bearer(live_access)).status, 200);
}

TEST_F(ApiTest, RefreshTokenReuseEndsTheFamilysAccessTokens) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
  auto l = login(c(), photo("obama_2.jpg")).json();
  auto rotated = c().post_json("/api/v1/auth/refresh", {{"refresh_token", l["refresh_token"]}});
  ASSERT_EQ(rotated.status, 200);
  std::string newer_access = rotated.json()["access_token"];
  ASSERT_EQ(c().get("/api/v1/users/me", bearer(newer_access)).status, 200);
  // The old refresh token comes back: a thief and the owner both hold the family.
  EXPECT_EQ(c().post_json("/api/v1/auth/refresh", {{"refresh_token", l["refresh_token"]}}).status,
            401);
  EXPECT_EQ(c().get("/api/v1/users/me", bearer(l["access_token"])).status, 401);
  EXPECT_EQ(c().get("/api/v1/users/me", bearer(newer_access)).status, 401);
}

TEST_F(ApiTest, OversizedFieldsAreRefusedBeforeAnythingIsStored) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
  ASSERT_EQ(run_faceid({"user", "promote", "obama"}, base_env(server_->dir(), {}),
                       server_->dir().path().string())
                .exit_code,
            0);
  std::string admin = login(c(), photo("obama_2.jpg")).json()["access_token"];
  for (const std::string& name : {std::string(3'000'000, 'a'), std::string(51, 'a'),
                                  std::string("ab"), std::string("bad name!")}) {
    auto r = verify(c(), name, photo("biden_1.jpg"));
    EXPECT_EQ(r.status, 422) << name.size();
    EXPECT_EQ(r.json()["error"]["code"], "validation_error");
  }
  auto attempts = c().get("/api/v1/admin/failed-attempts", bearer(admin));
  ASSERT_EQ(attempts.status, 200) << attempts.body;
  EXPECT_LT(attempts.body.size(), 10'000u);
  EXPECT_EQ(attempts.body.find("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            std::string::npos);
}

TEST_F(ApiTest, FailedRegistrationLeavesNothingBehind) {
  auto bad = register_user(c(), "obama", photo("group_obama_biden.jpg"));
  ASSERT_EQ(bad.status, 400);
  // The same username and face can register afterwards: nothing half-written remained.
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
}

TEST_F(ApiTest, RefreshRotatesAndReuseRevokesTheFamily) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
  auto l = login(c(), photo("obama_2.jpg")).json();
  std::string r1 = l["refresh_token"];
  auto first = c().post_json("/api/v1/auth/refresh", {{"refresh_token", r1}});
  ASSERT_EQ(first.status, 200) << first.body;
  std::string r2 = first.json()["refresh_token"];
  EXPECT_NE(r1, r2);
  EXPECT_FALSE(first.json()["access_token"].get<std::string>().empty());
  // Reusing r1 is refused and revokes the family, so r2 dies with it.
  auto reuse = c().post_json("/api/v1/auth/refresh", {{"refresh_token", r1}});
  EXPECT_EQ(reuse.status, 401);
  EXPECT_EQ(reuse.json()["error"]["code"], "invalid_token");
  EXPECT_EQ(c().post_json("/api/v1/auth/refresh", {{"refresh_token", r2}}).status, 401);
  // A tampered token is refused too.
  std::string tampered = r1;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(c().post_json("/api/v1/auth/refresh", {{"refresh_token", tampered}}).status, 401);
  EXPECT_EQ(c().post_json("/api/v1/auth/refresh", nlohmann::json::object()).status, 422);
}

TEST_F(ApiTest, LogoutRevokesTheRefreshToken) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
  std::string refresh = login(c(), photo("obama_2.jpg")).json()["refresh_token"];
  auto out = c().post_json("/api/v1/auth/logout", {{"refresh_token", refresh}});
  EXPECT_EQ(out.status, 200) << out.body;
  EXPECT_EQ(c().post_json("/api/v1/auth/refresh", {{"refresh_token", refresh}}).status, 401);
}

TEST_F(ApiTest, MeNeedsAValidAccessToken) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
  std::string access = login(c(), photo("obama_2.jpg")).json()["access_token"];
  auto me = c().get("/api/v1/users/me", bearer(access));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json()["username"], "obama");
  EXPECT_EQ(me.json()["face_templates"], 1);
  EXPECT_FALSE(me.json()["last_login_at"].is_null());
  EXPECT_EQ(c().get("/api/v1/users/me").status, 401);
  EXPECT_EQ(c().get("/api/v1/users/me", bearer(access + "x")).status, 401);
  // A refresh token is not an access token.
  std::string refresh = login(c(), photo("obama_3.jpg")).json()["refresh_token"];
  EXPECT_EQ(c().get("/api/v1/users/me", bearer(refresh)).status, 401);
}

TEST_F(ApiTest, AddFaceAcceptsTheSamePersonOnlyUpToFive) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
  std::string access = login(c(), photo("obama_2.jpg")).json()["access_token"];
  auto add = [&](const std::string& p) {
    return c().post_multipart("/api/v1/users/me/faces", {{"face_image", photo(p), "f.jpg"}},
                              bearer(access));
  };
  auto other = add("biden_1.jpg");
  EXPECT_EQ(other.status, 400);
  EXPECT_EQ(other.json()["error"]["code"], "face_mismatch");
  for (const char* p : {"obama_2.jpg", "obama_3.jpg", "obama_4.jpg", "obama_640x480.jpg"}) {
    EXPECT_EQ(add(p).status, 201) << p;
  }
  auto sixth = add("obama_small.jpg");
  EXPECT_EQ(sixth.status, 409);
  EXPECT_EQ(sixth.json()["error"]["code"], "too_many_templates");
}

TEST_F(ApiTest, ExportHasPersonalDataAndEmbeddingsOnlyOnRequest) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
  ASSERT_EQ(verify(c(), "obama", photo("biden_1.jpg")).status, 401);  // a record naming obama
  std::string access = login(c(), photo("obama_2.jpg")).json()["access_token"];
  auto plain = c().get("/api/v1/users/me/export", bearer(access));
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.json()["user"]["username"], "obama");
  ASSERT_EQ(plain.json()["failed_login_attempts"].size(), 1u);
  EXPECT_EQ(plain.json()["failed_login_attempts"][0]["reason"], "no_match");
  EXPECT_FALSE(plain.json()["face_templates"][0].contains("embedding"));
  auto full = c().get("/api/v1/users/me/export?include_embeddings=true", bearer(access));
  EXPECT_EQ(full.json()["face_templates"][0]["embedding"].size(), 128u);
}

TEST_F(ApiTest, DeleteMeErasesTheAccountAndTheFaceNoLongerLogsIn) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
  auto l = login(c(), photo("obama_2.jpg")).json();
  std::string access = l["access_token"];
  auto del = c().del("/api/v1/users/me", bearer(access));
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(login(c(), photo("obama_2.jpg")).status, 401);
  EXPECT_EQ(c().get("/api/v1/users/me", bearer(access)).status, 401);
  EXPECT_EQ(c().post_json("/api/v1/auth/refresh", {{"refresh_token", l["refresh_token"]}}).status,
            401);
  // Username and face are free again.
  EXPECT_EQ(register_user(c(), "obama", photo("obama_3.jpg")).status, 201);
}

TEST_F(ApiTest, AdminRoutesAre403ForUsersAndServeDataToAdmins) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
  ASSERT_EQ(register_user(c(), "biden", photo("biden_1.jpg")).status, 201);
  std::string user_token = login(c(), photo("biden_2.jpg")).json()["access_token"];
  for (const char* path : {"/api/v1/admin/failed-attempts", "/api/v1/admin/suspicious-activity",
                           "/api/v1/admin/metrics-summary"}) {
    auto r = c().get(path, bearer(user_token));
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_EQ(r.json()["error"]["code"], "forbidden");
    EXPECT_EQ(c().get(path).status, 401) << path;
  }
  login(c(), photo("kit_harington_1.jpg"));  // a failed attempt to report
  login(c(), photo("rose_leslie_1.jpg"));
  auto promoted = run_faceid({"user", "promote", "obama"}, base_env(server_->dir(), {}),
                             server_->dir().path().string());
  ASSERT_EQ(promoted.exit_code, 0) << promoted.output;
  std::string admin_token = login(c(), photo("obama_2.jpg")).json()["access_token"];

  auto failed = c().get("/api/v1/admin/failed-attempts?hours=24", bearer(admin_token));
  ASSERT_EQ(failed.status, 200) << failed.body;
  EXPECT_EQ(failed.json()["count"], 2);
  EXPECT_EQ(failed.json()["attempts"][0]["reason"], "no_match");
  EXPECT_EQ(failed.json()["attempts"][0]["ip"], "127.0.0.1");

  auto sus = c().get("/api/v1/admin/suspicious-activity?threshold=2", bearer(admin_token));
  ASSERT_EQ(sus.status, 200);
  EXPECT_EQ(sus.json()["suspicious_ips"][0]["ip"], "127.0.0.1");
  EXPECT_EQ(sus.json()["suspicious_ips"][0]["failed_attempts"], 2);
  auto none = c().get("/api/v1/admin/suspicious-activity?threshold=3", bearer(admin_token));
  EXPECT_TRUE(none.json()["suspicious_ips"].empty());
  EXPECT_EQ(c().get("/api/v1/admin/suspicious-activity?threshold=x", bearer(admin_token)).status,
            422);

  auto summary = c().get("/api/v1/admin/metrics-summary", bearer(admin_token));
  ASSERT_EQ(summary.status, 200);
  auto s = summary.json();
  EXPECT_EQ(s["users"]["total"], 2);
  EXPECT_EQ(s["users"]["locked"], 0);
  EXPECT_EQ(s["attempts"]["last_hour"]["successful_logins"], 2);
  EXPECT_EQ(s["attempts"]["last_hour"]["failed_attempts"], 2);
  EXPECT_DOUBLE_EQ(s["attempts"]["last_hour"]["success_rate"].get<double>(), 0.5);
}

TEST_F(ApiTest, ProductMetricsAreExposedAndValid) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
  login(c(), photo("obama_2.jpg"));
  login(c(), photo("biden_1.jpg"));
  auto m = c().get("/metrics").body;
  for (const char* name : {"faceid_registration_attempts_total", "faceid_login_attempts_total",
                           "faceid_liveness_checks_total", "faceid_face_match_latency_seconds",
                           "faceid_vector_search_duration_seconds", "faceid_rate_limit_hits_total",
                           "faceid_active_users_total", "faceid_locked_accounts_total"}) {
    EXPECT_NE(m.find(std::string("# TYPE ") + name), std::string::npos) << name;
  }
  EXPECT_NE(m.find("faceid_login_attempts_total{mode=\"login\",outcome=\"success\"} 1"),
            std::string::npos);
  EXPECT_NE(m.find("faceid_login_attempts_total{mode=\"login\",outcome=\"no_match\"} 1"),
            std::string::npos);
  EXPECT_NE(m.find("faceid_active_users_total 1"), std::string::npos);
}

TEST(ApiMetricsTest, MetricsNeedTheTokenWhenOneIsSetAndAreClosedInProductionWithout) {
  ServerProcess with_token(recognition_env({{"METRICS_TOKEN", "metrics-secret-123"}}));
  ASSERT_TRUE(with_token.running()) << with_token.output();
  HttpClient c(with_token.base_url());
  EXPECT_EQ(c.get("/metrics").status, 401);
  EXPECT_EQ(c.get("/metrics", bearer("wrong")).status, 401);
  auto ok = c.get("/metrics", bearer("metrics-secret-123"));
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("faceid_login_attempts_total"), std::string::npos);

  ServerProcess production(recognition_env({{"ENVIRONMENT", "production"}}));
  ASSERT_TRUE(production.running()) << production.output();
  HttpClient p(production.base_url());
  auto closed = p.get("/metrics");
  EXPECT_EQ(closed.status, 403);
  EXPECT_EQ(closed.body.find("faceid_"), std::string::npos);
  EXPECT_EQ(p.get("/health").status, 200);
}

TEST_F(ApiTest, LogsHoldNoPasswordsTokensOrEmbeddings) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg"), "", "Unique-Pass-9931").status, 201);
  auto l = login(c(), photo("obama_2.jpg")).json();
  std::string access = l["access_token"];
  auto exp = c().get("/api/v1/users/me/export?include_embeddings=true", bearer(access)).json();
  std::string first_value = exp["face_templates"][0]["embedding"][0].dump();
  usleep(300000);
  std::string logs = read_file(server_->log_file()) + server_->output();
  EXPECT_NE(logs.find("\"event\":\"register\""), std::string::npos);  // audit lines exist
  EXPECT_NE(logs.find("\"event\":\"login_success\""), std::string::npos);
  EXPECT_EQ(logs.find("Unique-Pass-9931"), std::string::npos);
  EXPECT_EQ(logs.find(access), std::string::npos);
  EXPECT_EQ(logs.find(l["refresh_token"].get<std::string>()), std::string::npos);
  EXPECT_EQ(logs.find("$argon2id$"), std::string::npos);
  EXPECT_EQ(logs.find(first_value), std::string::npos);
}

TEST_F(ApiTest, ConcurrentRegistrationsAndLoginsLoseNothing) {
  const std::vector<std::pair<std::string, std::string>> people = {{"obama", "obama"},
                                                                   {"biden", "biden"},
                                                                   {"kit", "kit_harington"},
                                                                   {"rose", "rose_leslie"},
                                                                   {"alex", "alex_lacamoire"}};
  // 16 concurrent registrations: each person once under its own name, plus 11 attempts to
  // register the same faces under other names (must all be refused, none half-written).
  std::vector<std::future<int>> regs;
  for (int i = 0; i < 16; ++i) {
    regs.push_back(std::async(std::launch::async, [&, i] {
      HttpClient client(server_->base_url());
      const auto& p = people[static_cast<std::size_t>(i) % people.size()];
      std::string name = i < 5 ? p.first : p.first + "_dup" + std::to_string(i);
      return register_user(client, name, photo(p.second + "_1.jpg")).status;
    }));
  }
  std::multiset<int> statuses;
  for (auto& f : regs) statuses.insert(f.get());
  EXPECT_EQ(statuses.count(201), 5u);
  EXPECT_EQ(statuses.count(201) + statuses.count(400), 16u);  // 400 registration_refused
  EXPECT_EQ(statuses.count(500), 0u);

  std::vector<std::future<std::string>> logins;
  for (int i = 0; i < 16; ++i) {
    logins.push_back(std::async(std::launch::async, [&, i] {
      HttpClient client(server_->base_url());
      const auto& p = people[static_cast<std::size_t>(i) % people.size()];
      auto r = login(client, photo(p.second + "_2.jpg"));
      return r.status == 200 ? r.json()["user"]["username"].get<std::string>()
                             : "status " + std::to_string(r.status);
    }));
  }
  // Whichever registration of a face won the race owns it ("kit" or "kit_dup7"): each login
  // must find the account of the right person.
  for (int i = 0; i < 16; ++i) {
    std::string who = logins[static_cast<std::size_t>(i)].get();
    const std::string& person = people[static_cast<std::size_t>(i) % people.size()].first;
    EXPECT_TRUE(who == person || who.rfind(person + "_dup", 0) == 0) << who << " for " << person;
  }
}

TEST_F(ApiTest, InFlightLoginCompletesDuringGracefulShutdown) {
  ASSERT_EQ(register_user(c(), "obama", photo("obama_1.jpg")).status, 201);
  auto pending = std::async(std::launch::async, [&] {
    HttpClient client(server_->base_url());
    return login(client, photo("obama_2.jpg")).status;
  });
  usleep(25000);  // the request is being processed (a login takes ~60-100 ms)
  server_->signal(SIGTERM);
  EXPECT_EQ(pending.get(), 200);
  EXPECT_EQ(server_->wait(30000), 0);
}

TEST_F(ApiTest, KillMidRegistrationLeavesNoHalfWrittenUser) {
  std::vector<std::future<int>> regs;
  const char* faces[] = {"obama_1.jpg", "biden_1.jpg", "kit_harington_1.jpg", "rose_leslie_1.jpg",
                         "alex_lacamoire_1.jpg"};
  for (int i = 0; i < 5; ++i) {
    regs.push_back(std::async(std::launch::async, [&, i] {
      HttpClient client(server_->base_url());
      return register_user(client, "user" + std::to_string(i), photo(faces[i])).status;
    }));
  }
  usleep(350000);  // some registrations done, some in flight
  server_->stop(SIGKILL);
  for (auto& f : regs) f.get();
  // Whichever store ran: no user without its template, no template without its user.
  if (postgres_backend_selected()) {
    std::string url = base_env(server_->dir(), {})["DATABASE_URL"];
    EXPECT_EQ(Backends::query(url,
                              "SELECT count(*) FROM users u WHERE NOT EXISTS "
                              "(SELECT 1 FROM face_templates t WHERE t.user_id = u.id)"),
              "0");
    return;
  }
  std::string db = server_->dir().file("data/faceid.db");
  auto q = [&](const std::string& sql) {
    std::string cmd = "sqlite3 " + db + " \"" + sql + "\" 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    char buf[256];
    while (p && fgets(buf, sizeof(buf), p)) out += buf;
    if (p) pclose(p);
    return out;
  };
  EXPECT_EQ(q("PRAGMA integrity_check"), "ok\n");
  EXPECT_EQ(q("SELECT count(*) FROM users u WHERE NOT EXISTS "
              "(SELECT 1 FROM face_templates t WHERE t.user_id = u.id)"),
            "0\n");
  EXPECT_EQ(q("SELECT count(*) FROM face_templates t WHERE NOT EXISTS "
              "(SELECT 1 FROM users u WHERE u.id = t.user_id)"),
            "0\n");
}

// --- rate limits, lockout, liveness: servers with their own settings ---------------------

// Issue 20, item 9: a flood of rate-limited requests writes one attempt row per client and
// minute, not one per refusal.
TEST(ApiLimitsTest, RateLimitedRefusalsAreSummarisedNotOneRowEach) {
  ServerProcess server(recognition_env({{"RATE_LIMIT_ENABLED", "true"},
                                        {"RATE_LIMIT_LOGIN", "2/minute"},
                                        {"RATE_LIMIT_REGISTER", "100/hour"},
                                        {"RATE_LIMIT_DEFAULT", "1000/hour"}}));
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient c(server.base_url());
  auto reg = register_user(c, "obama", photo("obama_1.jpg"));
  ASSERT_EQ(reg.status, 201) << reg.body;
  ASSERT_EQ(run_faceid({"user", "promote", "obama"}, base_env(server.dir(), {}),
                       server.dir().path().string())
                .exit_code,
            0);
  const std::string face = photo("biden_1.jpg");
  int refused = 0;
  for (int i = 0; i < 40; ++i) refused += login(c, face).status == 429;
  EXPECT_EQ(refused, 38);
  auto rows = c.get("/api/v1/admin/failed-attempts?hours=1", bearer(reg.json()["access_token"]));
  ASSERT_EQ(rows.status, 200) << rows.body;
  int rate_limit_rows = 0;
  const auto listed = rows.json();
  for (const auto& a : listed["attempts"]) rate_limit_rows += a["reason"] == "rate_limit";
  EXPECT_EQ(rate_limit_rows, 1) << rows.body;
}

TEST(ApiLimitsTest, EleventhLoginInAMinuteIs429WithRetryAfter) {
  ServerProcess server(recognition_env({{"RATE_LIMIT_ENABLED", "true"},
                                        {"RATE_LIMIT_LOGIN", "10/minute"},
                                        {"RATE_LIMIT_DEFAULT", "1000/hour"}}));
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient c(server.base_url());
  std::string face = photo("biden_1.jpg");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(login(c, face).status, 401) << i;
  auto limited = login(c, face);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.json()["error"]["code"], "rate_limited");
  EXPECT_GE(std::stoi(limited.header("retry-after")), 1);
  EXPECT_NE(c.get("/metrics").body.find("faceid_rate_limit_hits_total{route=\"login\"} 1"),
            std::string::npos);
  // Other route groups keep their own budget.
  EXPECT_NE(c.get("/api/v1/users/me").status, 429);
}

// Verify from a given client address (the test server trusts X-Forwarded-For).
HttpResult verify_from(HttpClient& c, const std::string& ip, const std::string& username,
                       const std::string& image) {
  return c.post_multipart("/api/v1/auth/verify",
                          {{"username", username}, {"face_image", image, "face.jpg"}},
                          {{"X-Forwarded-For", ip}});
}

TEST(ApiLimitsTest, FailuresFromManyClientsLockTheAccountWhichUnlocksByItself) {
  ServerProcess server(recognition_env({{"MAX_FAILED_LOGIN_ATTEMPTS", "3"},
                                        {"ACCOUNT_LOCK_MINUTES", "0.05"},  // 3 seconds
                                        {"TRUSTED_PROXIES", "*"}}));
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient c(server.base_url());
  ASSERT_EQ(register_user(c, "obama", photo("obama_1.jpg")).status, 201);
  ASSERT_EQ(verify(c, "obama", photo("obama_2.jpg")).status, 200);
  // Clients count by network (IPv4 /24): three networks.
  for (const char* ip : {"10.0.1.1", "10.0.2.1", "10.0.3.1"}) {
    EXPECT_EQ(verify_from(c, ip, "obama", photo("biden_1.jpg")).status, 401) << ip;
  }
  // Locked: even the right face is refused, with the same body as a mismatch.
  auto locked = verify_from(c, "10.0.0.4", "obama", photo("obama_2.jpg"));
  auto mismatch = verify_from(c, "10.0.0.4", "nobody", photo("obama_2.jpg"));
  EXPECT_EQ(locked.status, 401);
  EXPECT_EQ(locked.json()["error"]["code"], mismatch.json()["error"]["code"]);
  EXPECT_EQ(locked.json()["error"]["message"], mismatch.json()["error"]["message"]);
  EXPECT_EQ(login(c, photo("obama_3.jpg")).status, 401);
  sleep(4);
  EXPECT_EQ(verify(c, "obama", photo("obama_2.jpg")).status, 200);
}

// Issue 20, item 4: undecodable images, or real faces from many addresses of one network,
// never lock the account; a lock that does happen ends no live session.
TEST(ApiLimitsTest, AStrangerCannotLockAnAccountOrEndItsSessions) {
  ServerProcess server(
      recognition_env({{"MAX_FAILED_LOGIN_ATTEMPTS", "3"}, {"TRUSTED_PROXIES", "*"}}));
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient c(server.base_url());
  auto reg = register_user(c, "alice", photo("obama_1.jpg"));
  ASSERT_EQ(reg.status, 201) << reg.body;
  const std::string token = reg.json()["access_token"];
  std::string noise(2048, '\0');
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 2654435761u) >> 13);
  // 12 undecodable images from four networks: no face was compared.
  for (int i = 0; i < 12; ++i) {
    const std::string ip = "198.51." + std::to_string(100 + i % 4) + ".9";
    EXPECT_NE(verify_from(c, ip, "alice", noise).status, 200);
  }
  // Real wrong faces from many addresses of one /24: one client.
  for (int i = 1; i <= 6; ++i) {
    verify_from(c, "203.0.113." + std::to_string(i), "alice", photo("biden_1.jpg"));
  }
  EXPECT_EQ(c.get("/api/v1/users/me", bearer(token)).status, 200);
  auto owner = verify_from(c, "192.0.2.10", "alice", photo("obama_2.jpg"));
  EXPECT_EQ(owner.status, 200) << owner.body;
  // Wrong faces from three networks do lock; the owner's live session goes on.
  for (const char* ip : {"10.0.1.1", "10.0.2.1", "10.0.3.1"}) {
    verify_from(c, ip, "alice", photo("biden_1.jpg"));
  }
  EXPECT_EQ(verify_from(c, "192.0.2.10", "alice", photo("obama_2.jpg")).status, 401);  // locked
  auto me = c.get("/api/v1/users/me", bearer(token));
  EXPECT_EQ(me.status, 200) << me.body;
}

TEST(ApiLimitsTest, AStrangerFailingFromOneClientIsSlowedAndTheOwnerIsNot) {
  ServerProcess server(recognition_env({{"TRUSTED_PROXIES", "*"}}));  // defaults: 10 failures
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient c(server.base_url());
  ASSERT_EQ(register_user(c, "obama", photo("obama_1.jpg")).status, 201);
  const std::string stranger = photo("biden_1.jpg");
  int refused = 0;
  int slowed = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = verify_from(c, "203.0.113.66", "obama", stranger);
    if (r.status == 401) ++refused;
    if (r.status == 429) {
      ++slowed;
      EXPECT_EQ(r.json()["error"]["code"], "too_many_attempts");
      EXPECT_GE(std::stoi(r.header("retry-after")), 1);
    }
  }
  // Three tries, then the delays start (a fourth only if the machine stalled for 2 s).
  EXPECT_GE(refused, 3);
  EXPECT_LE(refused, 4);
  EXPECT_GE(slowed, 16);
  // An unknown username behaves exactly alike: the delay reveals nothing.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(verify_from(c, "203.0.113.66", "nobody_here", stranger).status, 401);
  }
  EXPECT_EQ(verify_from(c, "203.0.113.66", "nobody_here", stranger).status, 429);
  // The owner, from their own client, is neither locked nor slowed.
  auto owner = verify_from(c, "198.51.100.7", "obama", photo("obama_2.jpg"));
  EXPECT_EQ(owner.status, 200) << owner.body;
  EXPECT_EQ(login(c, photo("obama_3.jpg")).status, 200);
}

TEST(ApiLimitsTest, CloseButWrongFacesLockEvenFromOneClient) {
  // Obama and Biden are 0.83 apart: "close" once the band reaches 1.6 x the one-template 1:1
  // threshold (0.54 at FACE_MATCH_FMR 1/1000) = 0.86.
  ServerProcess server(recognition_env({{"MAX_FAILED_LOGIN_ATTEMPTS", "3"},
                                        {"LOCKOUT_CLOSE_FACTOR", "1.6"},
                                        {"TRUSTED_PROXIES", "*"}}));
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient c(server.base_url());
  ASSERT_EQ(register_user(c, "obama", photo("obama_1.jpg")).status, 201);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(verify_from(c, "203.0.113.66", "obama", photo("biden_1.jpg")).status, 401);
  }
  EXPECT_EQ(verify_from(c, "198.51.100.7", "obama", photo("obama_2.jpg")).status, 401);  // locked
}

TEST(ApiLimitsTest, AdminUnlockEndsALockEarly) {
  ServerProcess server(
      recognition_env({{"MAX_FAILED_LOGIN_ATTEMPTS", "3"}, {"TRUSTED_PROXIES", "*"}}));
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient c(server.base_url());
  ASSERT_EQ(register_user(c, "obama", photo("obama_1.jpg")).status, 201);
  auto reg = register_user(c, "biden", photo("biden_1.jpg"));
  std::string biden_id = reg.json()["user"]["id"];
  ASSERT_EQ(run_faceid({"user", "promote", "obama"}, base_env(server.dir(), {}),
                       server.dir().path().string())
                .exit_code,
            0);
  std::string admin = login(c, photo("obama_2.jpg")).json()["access_token"];
  verify_from(c, "10.0.1.1", "biden", photo("obama_3.jpg"));
  verify_from(c, "10.0.2.1", "biden", photo("obama_4.jpg"));
  verify_from(c, "10.0.3.1", "biden", photo("obama_3.jpg"));
  EXPECT_EQ(verify(c, "biden", photo("biden_2.jpg")).status, 401);  // locked
  auto unlock =
      c.post("/api/v1/admin/users/" + biden_id + "/unlock", "", "application/json", bearer(admin));
  ASSERT_EQ(unlock.status, 200) << unlock.body;
  EXPECT_FALSE(unlock.json()["user"]["is_locked"].get<bool>());
  EXPECT_EQ(verify(c, "biden", photo("biden_2.jpg")).status, 200);
  EXPECT_EQ(
      c.post("/api/v1/admin/users/no-such-id/unlock", "", "application/json", bearer(admin)).status,
      404);
}

TEST(ApiLimitsTest, PasswordModeRequiresTheRightPassword) {
  ServerProcess server(recognition_env({{"AUTH_MODE", "face+password"}}));
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient c(server.base_url());
  ASSERT_EQ(register_user(c, "obama", photo("obama_1.jpg"), "", "Right-Pass-123").status, 201);
  EXPECT_EQ(verify(c, "obama", photo("obama_2.jpg")).status, 422);
  EXPECT_EQ(verify(c, "obama", photo("obama_2.jpg"), "Wrong-Pass-123").status, 401);
  EXPECT_EQ(verify(c, "obama", photo("obama_2.jpg"), "Right-Pass-123").status, 200);
}

TEST(ApiLimitsTest, CreateAdminFromTheCommandLine) {
  ServerProcess server(recognition_env());
  ASSERT_TRUE(server.running()) << server.output();
  std::string face = std::string(FACEID_TESTDATA_DIR) + "/faces/obama_1.jpg";
  auto made = run_faceid({"user", "create-admin", "--username", "root_admin", "--email",
                          "admin@example.com", "--password", "Admin-Pass-2024", "--face", face},
                         base_env(server.dir(), {}), server.dir().path().string());
  ASSERT_EQ(made.exit_code, 0) << made.output;
  auto again = run_faceid({"user", "create-admin", "--username", "root_admin", "--email",
                           "x@example.com", "--password", "Admin-Pass-2024", "--face", face},
                          base_env(server.dir(), {}), server.dir().path().string());
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.output.find("registration_refused"), std::string::npos) << again.output;
  HttpClient c(server.base_url());
  // 1:1 verify reads the templates from the store, so the running server sees the new admin.
  auto v = verify(c, "root_admin", photo("obama_2.jpg"));
  ASSERT_EQ(v.status, 200) << v.body;
  std::string token = v.json()["access_token"];
  EXPECT_EQ(c.get("/api/v1/admin/metrics-summary", bearer(token)).status, 200);
}

TEST(ApiLivenessTest, LiveCapturePassesAndAttackPhotosAreRefused) {
  ServerProcess server({{"LIVENESS_ENABLED", "true"}, {"RATE_LIMIT_ENABLED", "false"}});
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient c(server.base_url());
  auto reg = register_user(c, "live", live_capture("live_none_silentface_image_T1.jpg"));
  ASSERT_EQ(reg.status, 201) << reg.body;
  auto ok = login(c, live_capture("live_none_silentface_image_T1.jpg"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_GE(ok.json()["liveness_score"].get<double>(), 0.7);
  for (const char* attack :
       {"attack_print_silentface_image_F1.jpg", "attack_screen_silentface_image_F2.jpg",
        "attack_screen_hyperfas_fake_screen.png"}) {
    auto r = login(c, live_capture(attack));
    EXPECT_EQ(r.status, 401) << attack;
    EXPECT_EQ(r.json()["error"]["code"], "liveness_failed") << attack;
  }
  auto spoof_reg =
      register_user(c, "spoofer", live_capture("attack_print_silentface_image_F1.jpg"));
  EXPECT_EQ(spoof_reg.status, 401);
  EXPECT_EQ(spoof_reg.json()["error"]["code"], "liveness_failed");
  EXPECT_NE(c.get("/metrics").body.find("faceid_liveness_checks_total{result=\"spoof\"}"),
            std::string::npos);
}

}  // namespace
}  // namespace faceid::testing
