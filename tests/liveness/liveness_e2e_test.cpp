// End-to-end tests of the active liveness challenge: the real binary over HTTP, real models,
// frames cut at test time from a real live webcam clip in the order each challenge asks, and
// attacks built from real photos (a still repeated, a photo tilted to imitate a turn, two
// people). Each refusal carries its own code and is recorded on the attempt.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "e2e/api_test_support.h"
#include "liveness/challenge_actions.h"
#include "liveness/clip_frames.h"

namespace faceid::testing {
namespace {

constexpr const char* kTfjs = "webcam_blink_turns_tfjs.mp4";
constexpr const char* kOtherPerson = "webcam_turns_headtrackr_4.mp4";

struct Challenge {
  std::string id;
  std::vector<std::string> actions;
};

// Frames are cut once for the whole suite.
class LivenessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    frames_ = new TempDir();
    ASSERT_TRUE(cut_every_third_frame(kTfjs, *frames_, "tfjs"));
    ASSERT_TRUE(cut_every_third_frame(kOtherPerson, *frames_, "other"));
  }
  static void TearDownTestSuite() {
    delete frames_;
    frames_ = nullptr;
  }

  void start(Env extra = {}) {
    Env env = {{"RATE_LIMIT_ENABLED", "false"}};
    for (auto& [k, v] : extra) env[k] = v;
    server_ = std::make_unique<ServerProcess>(env);
    ASSERT_TRUE(server_->running()) << server_->output();
    client_ = std::make_unique<HttpClient>(server_->base_url());
  }
  void SetUp() override { start(); }
  HttpClient& c() { return *client_; }

  Challenge challenge() {
    auto r = c().post_json("/api/v1/liveness/challenges", nlohmann::json::object());
    EXPECT_EQ(r.status, 201) << r.body;
    auto j = r.json();
    return {j.value("challenge_id", ""), j.value("actions", std::vector<std::string>{})};
  }
  // A challenge whose first action is a head movement (a photo cannot blink).
  Challenge challenge_starting_with_a_turn() {
    for (int i = 0; i < 50; ++i) {
      Challenge ch = challenge();
      if (!ch.actions.empty() && ch.actions[0] != "blink") return ch;
    }
    ADD_FAILURE() << "no challenge started with a turn in 50 tries";
    return {};
  }

  static std::vector<std::string> tfjs(const std::vector<int>& numbers) {
    std::vector<std::string> out;
    for (int n : numbers) out.push_back(clip_frame(*frames_, "tfjs", n));
    return out;
  }
  static std::vector<std::string> live_response(const Challenge& ch) {
    return tfjs(tfjs_frames_for(ch.actions));
  }

  static std::vector<Part> response_parts(const Challenge& ch,
                                          const std::vector<std::string>& frames) {
    std::vector<Part> parts = {{"challenge_id", ch.id}};
    for (size_t i = 0; i < frames.size(); ++i) {
      parts.push_back({"frames", frames[i], "frame" + std::to_string(i) + ".jpg"});
    }
    return parts;
  }
  HttpResult login_with(const Challenge& ch, const std::vector<std::string>& frames) {
    return c().post_multipart("/api/v1/auth/login", response_parts(ch, frames));
  }
  HttpResult register_with(const std::string& username, const Challenge& ch,
                           const std::vector<std::string>& frames) {
    auto parts = response_parts(ch, frames);
    parts.push_back({"username", username});
    parts.push_back({"email", username + "@example.com"});
    parts.push_back({"password", "Correct-Horse-42"});
    return c().post_multipart("/api/v1/auth/register", parts);
  }
  HttpResult register_live(const std::string& username) {
    Challenge ch = challenge();
    return register_with(username, ch, live_response(ch));
  }

  static std::string code(const HttpResult& r) { return r.json()["error"].value("code", ""); }

  static TempDir* frames_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};
TempDir* LivenessTest::frames_ = nullptr;

// The JSON payload of a JWT (base64url, unpadded).
nlohmann::json jwt_payload(const std::string& token) {
  const size_t a = token.find('.'), b = token.find('.', a + 1);
  std::string s = token.substr(a + 1, b - a - 1);
  for (char& ch : s) ch = ch == '-' ? '+' : ch == '_' ? '/' : ch;
  while (s.size() % 4) s += '=';
  static const std::string abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char ch : s) {
    if (ch == '=') break;
    val = (val << 6) + static_cast<int>(abc.find(ch));
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return nlohmann::json::parse(out, nullptr, false);
}

TEST_F(LivenessTest, ChallengesAskTwoOrThreeActionsAndBoundTheFrames) {
  auto r = c().post_json("/api/v1/liveness/challenges", nlohmann::json::object());
  ASSERT_EQ(r.status, 201) << r.body;
  auto j = r.json();
  EXPECT_EQ(j["challenge_id"].get<std::string>().size(), 32u);
  EXPECT_EQ(j["expires_in"], 60);
  EXPECT_EQ(j["min_frames"], 8);
  EXPECT_EQ(j["max_frames"], 40);
  EXPECT_EQ(r.header("cache-control"), "no-store");
  const auto actions = j["actions"].get<std::vector<std::string>>();
  ASSERT_GE(actions.size(), 2u);
  ASSERT_LE(actions.size(), 3u);
  for (size_t i = 0; i < actions.size(); ++i) {
    EXPECT_TRUE(actions[i] == "turn_left" || actions[i] == "turn_right" || actions[i] == "blink")
        << actions[i];
    if (i > 0) EXPECT_NE(actions[i], actions[i - 1]);
  }
  EXPECT_NE(challenge().id, j["challenge_id"]);
}

TEST_F(LivenessTest, LiveClipFramesInTheAskedOrderRegisterSignInAndVerify) {
  Challenge ch = challenge();
  auto reg = register_with("tfjs", ch, live_response(ch));
  ASSERT_EQ(reg.status, 201) << ::testing::PrintToString(ch.actions) << " " << reg.body;
  for (int i = 0; i < 3; ++i) {  // three fresh challenges, whatever actions they ask
    Challenge next = challenge();
    auto r = login_with(next, live_response(next));
    ASSERT_EQ(r.status, 200) << ::testing::PrintToString(next.actions) << " " << r.body;
    auto j = r.json();
    EXPECT_EQ(j["user"]["username"], "tfjs");
    EXPECT_EQ(j["amr"], nlohmann::json({"face", "liveness_challenge"}));
    EXPECT_GE(j["liveness_score"].get<double>(), 0.5);
    EXPECT_EQ(jwt_payload(j["access_token"])["amr"],
              nlohmann::json({"face", "liveness_challenge"}));
    // A refresh keeps how the person signed in.
    auto refreshed = c().post_json("/api/v1/auth/refresh", {{"refresh_token", j["refresh_token"]}});
    ASSERT_EQ(refreshed.status, 200) << refreshed.body;
    EXPECT_EQ(jwt_payload(refreshed.json()["access_token"])["amr"],
              nlohmann::json({"face", "liveness_challenge"}));
  }
  Challenge v = challenge();
  auto parts = response_parts(v, live_response(v));
  parts.push_back({"username", "tfjs"});
  auto verified = c().post_multipart("/api/v1/auth/verify", parts);
  ASSERT_EQ(verified.status, 200) << verified.body;
}

TEST_F(LivenessTest, AReusedOrUnknownChallengeIsRefused) {
  ASSERT_EQ(register_live("tfjs").status, 201);
  Challenge ch = challenge();
  const auto frames = live_response(ch);
  ASSERT_EQ(login_with(ch, frames).status, 200);
  auto again = login_with(ch, frames);
  EXPECT_EQ(again.status, 400) << again.body;
  EXPECT_EQ(code(again), "challenge_reused");
  auto unknown = login_with({"00000000000000000000000000000000", ch.actions}, frames);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(code(unknown), "challenge_invalid");
}

TEST_F(LivenessTest, AnExpiredChallengeIsRefused) {
  start({{"LIVENESS_CHALLENGE_TTL_SECONDS", "1"}});
  Challenge ch = challenge();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto r = login_with(ch, live_response(ch));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(code(r), "challenge_expired");
}

TEST_F(LivenessTest, AStillFrameRepeatedFailsAndTheReasonIsRecorded) {
  ASSERT_EQ(register_live("tfjs").status, 201);
  Challenge ch = challenge();
  // 1:1 verify names the account, so the failure is recorded against it.
  auto parts = response_parts(ch, std::vector<std::string>(20, clip_frame(*frames_, "tfjs", 9)));
  parts.push_back({"username", "tfjs"});
  auto r = c().post_multipart("/api/v1/auth/verify", parts);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(code(r), "action_missing");

  Challenge ok = challenge();
  auto signed_in = login_with(ok, live_response(ok));
  ASSERT_EQ(signed_in.status, 200) << signed_in.body;
  auto exported = c().get("/api/v1/users/me/export",
                          bearer(signed_in.json()["access_token"].get<std::string>()));
  ASSERT_EQ(exported.status, 200) << exported.body;
  bool recorded = false;
  const nlohmann::json body = exported.json();
  for (const auto& a : body["failed_login_attempts"]) {
    recorded = recorded || a["reason"] == "action_missing";
  }
  EXPECT_TRUE(recorded) << exported.body;
}

TEST_F(LivenessTest, APhotoTiltedToImitateATurnIsNot3d) {
  const std::string photo =
      std::string(FACEID_TESTDATA_DIR) + "/liveness/live_none_vietmoney_true_001.jpg";
  TempDir dir;
  // Tilting the sheet moves the nose between the face's edges the way a small turn does.
  std::vector<std::string> ramp;
  for (double t : {-0.30, -0.30, -0.30, -0.25, -0.20, -0.10, 0.0, 0.10, 0.20, 0.25, 0.30, 0.30}) {
    ramp.push_back(tilted_photo(photo, t, dir));
    ASSERT_FALSE(ramp.back().empty());
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    Challenge ch = challenge_starting_with_a_turn();
    std::vector<std::string> frames = ramp;  // ramps towards the person's left
    if (ch.actions[0] == "turn_right") std::reverse(frames.begin(), frames.end());
    auto r = login_with(ch, frames);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(code(r), "not_3d") << ::testing::PrintToString(ch.actions) << " " << r.body;
  }
}

TEST_F(LivenessTest, FramesOfTwoPeopleAreIdentityChanged) {
  Challenge ch = challenge();
  std::vector<std::string> frames = tfjs({3, 9, 15, 21, 24, 27, 30, 33, 36, 39});
  for (int n : {135, 141, 147, 153, 159}) frames.push_back(clip_frame(*frames_, "other", n));
  auto r = login_with(ch, frames);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(code(r), "identity_changed");
}

TEST_F(LivenessTest, RequiredModeRefusesASinglePhotoAndOffModeIssuesNoChallenges) {
  start({{"LIVENESS_CHALLENGE", "required"}});
  auto single = login(c(), clip_frame(*frames_, "tfjs", 9));
  EXPECT_EQ(single.status, 400) << single.body;
  EXPECT_EQ(code(single), "challenge_required");
  auto reg = register_user(c(), "someone", clip_frame(*frames_, "tfjs", 9));
  EXPECT_EQ(code(reg), "challenge_required");

  start({{"LIVENESS_CHALLENGE", "off"}});
  auto r = c().post_json("/api/v1/liveness/challenges", nlohmann::json::object());
  EXPECT_EQ(r.status, 404);
  // Optional (the default) still takes a single live photo, proven by face alone.
  start();
  ASSERT_EQ(register_live("tfjs").status, 201);
  auto photo_login = login(c(), clip_frame(*frames_, "tfjs", 15));
  ASSERT_EQ(photo_login.status, 200) << photo_login.body;
  EXPECT_EQ(photo_login.json()["amr"], nlohmann::json({"face"}));
  EXPECT_EQ(jwt_payload(photo_login.json()["access_token"])["amr"], nlohmann::json({"face"}));
}

}  // namespace
}  // namespace faceid::testing
