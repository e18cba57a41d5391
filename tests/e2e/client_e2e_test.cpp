// `faceid client` against a real server with real photos: the whole account life cycle, the
// token file (mode 0600, refreshed when expired, forgotten on logout/delete) and the exit
// codes (0 success, 2 refused, 3 invalid input, 4 unreachable).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "support/server_process.h"

namespace faceid::testing {
namespace {

const std::string kFaces = std::string(FACEID_TESTDATA_DIR) + "/faces/";

class ClientE2E : public ::testing::Test {
 protected:
  ServerProcess server_{{{"LIVENESS_ENABLED", "false"}, {"RATE_LIMIT_ENABLED", "false"}}};
  TempDir home_;

  std::string tokens_path() const { return home_.file("config/faceid/tokens.json"); }

  RunResult client(std::vector<std::string> args, const std::string& url = "") {
    args.insert(args.begin(), {"client", "--url", url.empty() ? server_.base_url() : url});
    return run_faceid(args, base_env(home_, {{"XDG_CONFIG_HOME", home_.file("config")}}),
                      home_.path().string());
  }

  nlohmann::json saved() const {
    return nlohmann::json::parse(read_file(tokens_path()), nullptr, false)[server_.base_url()];
  }

  // The JSON object the client printed (stdout; stderr is empty on these paths).
  static nlohmann::json json_of(const RunResult& r) {
    return nlohmann::json::parse(r.output, nullptr, false);
  }
};

TEST_F(ClientE2E, RegisterLoginMeRefreshLogoutDelete) {
  ASSERT_TRUE(server_.running()) << server_.output();
  auto reg = client({"register", "--username", "cli_obama", "--email", "cli_obama@example.com",
                     "--password", "Correct-Horse-42", "--image", kFaces + "obama_1.jpg"});
  ASSERT_EQ(reg.exit_code, 0) << reg.output;
  EXPECT_EQ(json_of(reg)["user"]["username"], "cli_obama") << reg.output;

  auto login = client({"login", "--image", kFaces + "obama_2.jpg"});
  ASSERT_EQ(login.exit_code, 0) << login.output;
  auto body = json_of(login);
  EXPECT_EQ(body["user"]["username"], "cli_obama");
  EXPECT_FALSE(body.contains("access_token")) << "tokens must not be printed";
  EXPECT_EQ(body["tokens_file"], tokens_path());
  struct stat st {};
  ASSERT_EQ(::stat(tokens_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string first_refresh = saved()["refresh_token"];
  EXPECT_NE(login.output.find("cli_obama"), std::string::npos);
  EXPECT_EQ(login.output.find(first_refresh), std::string::npos);

  auto me = client({"me"});
  ASSERT_EQ(me.exit_code, 0) << me.output;
  EXPECT_EQ(json_of(me)["username"], "cli_obama");
  EXPECT_EQ(json_of(me)["face_templates"], 1);

  auto refresh = client({"refresh"});
  ASSERT_EQ(refresh.exit_code, 0) << refresh.output;
  std::string second_refresh = saved()["refresh_token"];
  EXPECT_NE(second_refresh, first_refresh);

  // An expired access token is refreshed before the call: pretend it expired.
  auto all = nlohmann::json::parse(read_file(tokens_path()));
  all[server_.base_url()]["access_expires_at"] = 0;
  write_file(tokens_path(), all.dump());
  auto me_again = client({"me"});
  ASSERT_EQ(me_again.exit_code, 0) << me_again.output;
  EXPECT_NE(saved()["refresh_token"], second_refresh) << "the client did not refresh";
  EXPECT_GT(saved()["access_expires_at"].get<long long>(), 0);

  auto logout = client({"logout"});
  ASSERT_EQ(logout.exit_code, 0) << logout.output;
  EXPECT_FALSE(saved().contains("refresh_token")) << "tokens kept after logout";
  // The account that signed in is remembered (a hint for the next sign-in), not its tokens.
  EXPECT_EQ(saved()["accounts"], nlohmann::json::array({"cli_obama"}));
  auto me_out = client({"me"});
  EXPECT_EQ(me_out.exit_code, 3) << me_out.output;
  EXPECT_EQ(json_of(me_out)["error"]["code"], "not_signed_in");

  auto verify = client({"verify", "--username", "cli_obama", "--image", kFaces + "obama_3.jpg"});
  ASSERT_EQ(verify.exit_code, 0) << verify.output;
  auto del = client({"delete"});
  ASSERT_EQ(del.exit_code, 0) << del.output;
  EXPECT_FALSE(saved().contains("refresh_token"));

  auto gone = client({"login", "--image", kFaces + "obama_2.jpg"});
  EXPECT_EQ(gone.exit_code, 2) << gone.output;
  EXPECT_EQ(json_of(gone)["error"]["code"], "authentication_failed");
}

// Beyond the face-only budget: the client asks for --identifier once, then remembers the
// account and signs in with the face alone (the remembered account goes as a hint).
TEST(ClientE2EIdentifier, AnIdentifierGivenOnceIsRememberedAsAHint) {
  ServerProcess server{{{"LIVENESS_ENABLED", "false"},
                        {"RATE_LIMIT_ENABLED", "false"},
                        {"FACE_ONLY_MAX_FPIR", "0.000000001"}}};
  ASSERT_TRUE(server.running()) << server.output();
  TempDir home;
  auto client = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"client", "--url", server.base_url()});
    return run_faceid(args, base_env(home, {{"XDG_CONFIG_HOME", home.file("config")}}),
                      home.path().string());
  };
  auto reg = client({"register", "--username", "cli_rose", "--email", "rose@example.com",
                     "--password", "Correct-Horse-42", "--image", kFaces + "rose_leslie_1.jpg"});
  ASSERT_EQ(reg.exit_code, 0) << reg.output;
  // Another machine (a fresh config) knows nobody: the server asks for the identifier.
  TempDir other;
  auto asked = run_faceid(
      {"client", "--url", server.base_url(), "login", "--image", kFaces + "rose_leslie_2.jpg"},
      base_env(other, {{"XDG_CONFIG_HOME", other.file("config")}}), other.path().string());
  EXPECT_NE(asked.exit_code, 0) << asked.output;
  EXPECT_EQ(nlohmann::json::parse(asked.output, nullptr, false)["error"]["code"],
            "identifier_required");
  auto named = run_faceid({"client", "--url", server.base_url(), "login", "--identifier",
                           "rose@example.com", "--image", kFaces + "rose_leslie_2.jpg"},
                          base_env(other, {{"XDG_CONFIG_HOME", other.file("config")}}),
                          other.path().string());
  ASSERT_EQ(named.exit_code, 0) << named.output;
  auto again = run_faceid(
      {"client", "--url", server.base_url(), "login", "--image", kFaces + "rose_leslie_2.jpg"},
      base_env(other, {{"XDG_CONFIG_HOME", other.file("config")}}), other.path().string());
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(nlohmann::json::parse(again.output, nullptr, false)["user"]["username"], "cli_rose");
}

TEST_F(ClientE2E, StrangersFaceIsRefusedWithExitCode2) {
  ASSERT_TRUE(server_.running()) << server_.output();
  ASSERT_EQ(client({"register", "--username", "cli_biden", "--email", "cli_biden@example.com",
                    "--password", "Correct-Horse-42", "--image", kFaces + "biden_1.jpg"})
                .exit_code,
            0);
  auto stranger = client({"login", "--image", kFaces + "kit_harington_1.jpg"});
  EXPECT_EQ(stranger.exit_code, 2) << stranger.output;
  EXPECT_EQ(json_of(stranger)["error"]["code"], "authentication_failed");
  EXPECT_EQ(json_of(stranger)["status"], 401);
  auto wrong_person =
      client({"verify", "--username", "cli_biden", "--image", kFaces + "obama_1.jpg"});
  EXPECT_EQ(wrong_person.exit_code, 2) << wrong_person.output;
}

TEST_F(ClientE2E, InvalidInputExitsWith3) {
  ASSERT_TRUE(server_.running()) << server_.output();
  auto missing = client({"login", "--image", home_.file("nope.jpg")});
  EXPECT_EQ(missing.exit_code, 3) << missing.output;
  write_file(home_.file("not_an_image.jpg"), "plain text, not a picture");
  auto bad = client({"login", "--image", home_.file("not_an_image.jpg")});
  EXPECT_EQ(bad.exit_code, 3) << bad.output;  // the server's 4xx for an unreadable image
  auto no_face = client({"register", "--username", "cli_x", "--email", "x@example.com",
                         "--password", "Correct-Horse-42", "--image", home_.file("nope.jpg")});
  EXPECT_EQ(no_face.exit_code, 3);
  auto usage = client({"verify", "--image", kFaces + "obama_1.jpg"});  // --username missing
  EXPECT_EQ(usage.exit_code, 3) << usage.output;
}

TEST(ClientE2EOffline, UnreachableServerExitsWith4) {
  TempDir home;
  std::string url = "http://127.0.0.1:" + std::to_string(free_port());
  auto r =
      run_faceid({"client", "--url", url, "login", "--image", kFaces + "obama_1.jpg"},
                 base_env(home, {{"XDG_CONFIG_HOME", home.file("config")}}), home.path().string());
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output, nullptr, false)["error"]["code"], "unreachable");
}

}  // namespace
}  // namespace faceid::testing
