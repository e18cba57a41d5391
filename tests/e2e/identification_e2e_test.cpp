// End-to-end: the match decisions read off the calibration table (face/match_calibration.h)
// through the real binary and real photos: face-only sign-in within its FPIR budget, the
// identifier and sign-in hints beyond it, the duplicate-face rule, the stated operating point.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "e2e/api_test_support.h"

namespace faceid::testing {
namespace {

HttpResult login_with(HttpClient& c, const std::string& image, const std::vector<Part>& fields) {
  std::vector<Part> parts = fields;
  parts.push_back({"face_image", image, "face.jpg"});
  return c.post_multipart("/api/v1/auth/login", parts);
}

std::string code_of(const HttpResult& r) { return r.json()["error"]["code"].get<std::string>(); }

// A budget no search meets: every face-only sign-in needs the account named.
Env identifier_env() { return recognition_env({{"FACE_ONLY_MAX_FPIR", "0.000000001"}}); }

TEST(IdentificationTest, AFamilySignsInByFaceAlone) {
  ServerProcess server(recognition_env());
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient c(server.base_url());
  ASSERT_EQ(register_user(c, "obama", photo("obama_1.jpg")).status, 201);
  ASSERT_EQ(register_user(c, "biden", photo("biden_1.jpg")).status, 201);
  ASSERT_EQ(register_user(c, "kit", photo("kit_harington_1.jpg")).status, 201);
  ASSERT_EQ(register_user(c, "rose", photo("rose_leslie_1.jpg")).status, 201);
  for (auto [file, who] :
       std::vector<std::pair<std::string, std::string>>{{"obama_2.jpg", "obama"},
                                                        {"biden_2.jpg", "biden"},
                                                        {"kit_harington_2.jpg", "kit"},
                                                        {"rose_leslie_2.jpg", "rose"}}) {
    auto r = login(c, photo(file));
    ASSERT_EQ(r.status, 200) << file << " " << r.body;
    EXPECT_EQ(r.json()["user"]["username"], who) << file;
  }
  // A stranger is still refused.
  auto stranger = login(c, photo("alex_lacamoire_1.jpg"));
  EXPECT_EQ(stranger.status, 401) << stranger.body;
}

TEST(IdentificationTest, BeyondTheBudgetFaceOnlyAsksForTheIdentifier) {
  ServerProcess server(identifier_env());
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient c(server.base_url());
  ASSERT_EQ(register_user(c, "obama", photo("obama_1.jpg")).status, 201);
  auto face_only = login(c, photo("obama_2.jpg"));
  ASSERT_EQ(face_only.status, 400) << face_only.body;
  EXPECT_EQ(code_of(face_only), "identifier_required");
  // Named by username or by email (any case): a 1:1 comparison.
  for (const char* id : {"obama", "OBAMA@example.com"}) {
    auto named = login_with(c, photo("obama_2.jpg"), {{"identifier", id}});
    ASSERT_EQ(named.status, 200) << id << " " << named.body;
    EXPECT_EQ(named.json()["user"]["username"], "obama");
  }
  // Someone else's face under that name, and an unknown name, get the generic refusal.
  auto other = login_with(c, photo("biden_1.jpg"), {{"identifier", "obama"}});
  EXPECT_EQ(other.status, 401) << other.body;
  EXPECT_EQ(code_of(other), "authentication_failed");
  auto unknown = login_with(c, photo("obama_2.jpg"), {{"identifier", "nobody"}});
  EXPECT_EQ(unknown.status, 401) << unknown.body;
  EXPECT_EQ(code_of(unknown), "authentication_failed");
}

TEST(IdentificationTest, SignInHintsCompareOnlyTheNamedAccounts) {
  ServerProcess server(identifier_env());
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient c(server.base_url());
  ASSERT_EQ(register_user(c, "obama", photo("obama_1.jpg")).status, 201);
  ASSERT_EQ(register_user(c, "biden", photo("biden_1.jpg")).status, 201);
  // A browser where both signed in before: the face picks among them.
  auto both = login_with(c, photo("biden_2.jpg"), {{"hints", "obama"}, {"hints", "biden"}});
  ASSERT_EQ(both.status, 200) << both.body;
  EXPECT_EQ(both.json()["user"]["username"], "biden");
  // Hints that do not name the face's account: refused, whoever it is.
  auto wrong = login_with(c, photo("biden_2.jpg"), {{"hints", "obama"}, {"hints", "ghost"}});
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  std::vector<Part> six;
  for (int i = 0; i < 6; ++i) six.push_back({"hints", "user" + std::to_string(i)});
  auto too_many = login_with(c, photo("biden_2.jpg"), six);
  EXPECT_EQ(too_many.status, 422) << too_many.body;
  EXPECT_EQ(code_of(too_many), "validation_error");
}

TEST(IdentificationTest, LoginOptionsTellThePageWhetherFaceOnlyIsAnswered) {
  ServerProcess open(recognition_env());
  ServerProcess named(identifier_env());
  ASSERT_TRUE(open.running() && named.running());
  HttpClient to_named(named.base_url());
  ASSERT_EQ(register_user(to_named, "obama", photo("obama_1.jpg")).status, 201);
  auto a = HttpClient(open.base_url()).get("/api/v1/auth/login-options");
  auto b = to_named.get("/api/v1/auth/login-options");
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_TRUE(a.json()["face_only"].get<bool>());
  EXPECT_FALSE(b.json()["face_only"].get<bool>());
  EXPECT_EQ(a.json()["max_hints"], 5);
}

TEST(IdentificationTest, LookAlikesAreFlaggedNotRefusedWhenTheRuleMustBeStrict) {
  // A rule that may refuse almost nobody: another photo of an enrolled face passes (and is
  // flagged for review in the audit log), the very same photo is still refused.
  ServerProcess server(recognition_env({{"DUPLICATE_MAX_REFUSAL", "0.000000001"}}));
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient c(server.base_url());
  ASSERT_EQ(register_user(c, "obama", photo("obama_1.jpg")).status, 201);
  auto again = register_user(c, "barack", photo("obama_1.jpg"));
  EXPECT_EQ(again.status, 400) << again.body;
  EXPECT_EQ(code_of(again), "registration_refused");
  auto other_photo = register_user(c, "barack", photo("obama_2.jpg"));
  EXPECT_EQ(other_photo.status, 201) << other_photo.body;
  EXPECT_NE(read_file(server.log_file()).find("\"duplicate_suspected\""), std::string::npos);
}

TEST(IdentificationTest, OperatingPointIsLoggedAndExported) {
  ServerProcess server(recognition_env({{"FACE_MATCH_FMR", "0.0001"}}));
  ASSERT_TRUE(server.running()) << server.output();
  const std::string log = read_file(server.log_file());
  EXPECT_NE(log.find("\"match operating point\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"face_match_fmr\":0.0001"), std::string::npos) << log;
  auto m = HttpClient(server.base_url()).get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("faceid_match_threshold{decision=\"one_to_one\"}"), std::string::npos);
  EXPECT_NE(m.body.find("faceid_match_expected_error_rate{decision=\"one_to_one\",rate=\"fmr\"}"),
            std::string::npos);
  EXPECT_NE(m.body.find("faceid_face_only_enabled 1"), std::string::npos) << m.body;
}

}  // namespace
}  // namespace faceid::testing
