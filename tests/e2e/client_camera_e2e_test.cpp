// `faceid client ... --camera CLIP` against a real server with real models: the client asks
// for the server's liveness challenge and prints its actions; the test reads them from the
// client's stderr, only then writes the camera clip (.y4m, from frames of the real live webcam
// clip in testdata, performing those actions in that order, as the browser test does), and
// presses Enter. Clips that do not follow the actions are refused with exit code 2; a camera
// that cannot be opened exits with 3 before the server is asked anything.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "liveness/clip_frames.h"
#include "support/interactive_process.h"

namespace faceid::testing {
namespace {

constexpr const char* kTfjs = "webcam_blink_turns_tfjs.mp4";
constexpr int kTimeoutMs = 120000;

// Source frames of the live clip per action (tests/web/signin_page_test.mjs: the closed-eye
// frames are held ~0.3 s, a deliberate blink that ~9 frames/s capture sees whatever the phase).
const std::vector<int> kFrontal = {3, 6, 9, 12, 15, 18};
const std::map<std::string, std::vector<int>> kActionFrames = {
    {"blink", {21, 27, 30, 30, 33, 33, 36, 39}},
    {"turn_right", {45, 54, 63, 72, 81, 90, 99, 108}},
    {"turn_left", {138, 147, 156, 165, 174, 183, 192}},
};
// The client's timeline (src/cli/client/camera.h): 1.5 s unused, 0.6 s frontal, 1.4 s per
// action. The clip leads with 2.5 s frontal, shows each action in the first second of its slot.
constexpr double kLeadS = 2.5;
constexpr double kSlotS = 1.4;
constexpr double kActionS = 1.0;
constexpr double kTailS = 2.0;

using Shots = std::vector<std::pair<int, double>>;  // source frame, seconds shown

void spread(Shots& shots, const std::vector<int>& frames, double seconds) {
  for (int f : frames) shots.emplace_back(f, seconds / frames.size());
}

Shots performing(const std::vector<std::string>& actions) {
  Shots shots;
  spread(shots, kFrontal, kLeadS);
  for (const auto& a : actions) {
    spread(shots, kActionFrames.at(a), kActionS);
    spread(shots, {kFrontal[0], kFrontal[1]}, kSlotS - kActionS);
  }
  spread(shots, kFrontal, kTailS);
  return shots;
}

// One frontal frame for the whole clip: a still photo held in front of the camera.
Shots still_photo(double seconds) { return {{kFrontal[0], seconds}}; }

class ClientCameraE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    frames_ = new TempDir();
    ASSERT_TRUE(cut_every_third_frame(kTfjs, *frames_, "tfjs"));
  }
  static void TearDownTestSuite() {
    delete frames_;
    frames_ = nullptr;
  }

  void start(const std::string& challenge_mode) {
    server_ = std::make_unique<ServerProcess>(
        Env{{"RATE_LIMIT_ENABLED", "false"}, {"LIVENESS_CHALLENGE", challenge_mode}});
    ASSERT_TRUE(server_->running()) << server_->output();
  }

  Env client_env() const { return base_env(home_, {{"XDG_CONFIG_HOME", home_.file("config")}}); }
  std::vector<std::string> client_args(std::vector<std::string> args) const {
    args.insert(args.begin(), {"client", "--url", server_->base_url()});
    return args;
  }
  // A one-shot client command (no camera): exit code and stdout+stderr.
  RunResult client(const std::vector<std::string>& args) {
    return run_faceid(client_args(args), client_env(), home_.path().string());
  }

  // Writes `clip` (.y4m, 10 frames/s, 640 px wide) showing each source frame for its time;
  // through a temp file and a rename, so a reader never sees half a clip.
  void write_clip(const std::string& clip, const Shots& shots) const {
    std::ostringstream list;
    char name[32];
    for (const auto& [frame, seconds] : shots) {
      std::snprintf(name, sizeof name, "tfjs_%04d.jpg", frame / 3);
      list << "file '" << frames_->file(name) << "'\nduration " << seconds << "\n";
    }
    list << "file '" << frames_->file(name) << "'\n";  // the concat demuxer wants the last twice
    write_file(home_.file("list.txt"), list.str());
    ASSERT_TRUE(run_ffmpeg("-f concat -safe 0 -i " + home_.file("list.txt") +
                           " -vf fps=10,scale=640:-2,format=yuv420p -f yuv4mpegpipe " + clip +
                           ".tmp"));
    ASSERT_EQ(std::rename((clip + ".tmp").c_str(), clip.c_str()), 0);
  }

  // Runs the client with --camera `clip`; `respond` turns the challenge's actions into the
  // clip recorded after they are shown (the placeholder until Enter is a still photo).
  struct CameraRun {
    int exit_code = -1;
    std::vector<std::string> actions;
    std::string out, err;
  };
  CameraRun run_camera(std::vector<std::string> args, bool json_prompts,
                       const std::function<Shots(const std::vector<std::string>&)>& respond) {
    const std::string clip = home_.file("camera.y4m");
    write_clip(clip, still_photo(8));
    args.insert(args.end(), {"--camera", clip});
    if (json_prompts) args.insert(args.begin(), {"--prompts", "json"});
    InteractiveProcess p(client_args(args), client_env(), home_.path().string());
    CameraRun run;
    const std::string ready = json_prompts ? "\"waiting_for_enter\"" : "press Enter";
    if (!p.wait_for_stderr(ready, kTimeoutMs)) {
      ADD_FAILURE() << "the client did not ask for Enter: " << p.err() << p.out();
    }
    run.actions = json_prompts ? json_actions(p.err()) : text_actions(p.err());
    write_clip(clip, respond(run.actions));
    p.write_stdin("\n");
    p.close_stdin();
    run.exit_code = p.wait(kTimeoutMs);
    run.out = p.out();
    run.err = p.err();
    return run;
  }

  // The actions of the "challenge" line of --prompts json.
  static std::vector<std::string> json_actions(const std::string& err) {
    std::istringstream lines(err);
    for (std::string line; std::getline(lines, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.value("event", "") == "challenge") {
        return j.value("actions", std::vector<std::string>{});
      }
    }
    return {};
  }
  // The "[action]" marks of the text prompts, in order.
  static std::vector<std::string> text_actions(const std::string& err) {
    std::vector<std::string> out;
    std::regex mark(R"(\[(turn_left|turn_right|look_up|blink)\])");
    for (auto it = std::sregex_iterator(err.begin(), err.end(), mark); it != std::sregex_iterator();
         ++it) {
      out.push_back((*it)[1]);
    }
    return out;
  }

  static void expect_valid_challenge(const std::vector<std::string>& actions) {
    EXPECT_GE(actions.size(), 2u);
    EXPECT_LE(actions.size(), 3u);
    for (const auto& a : actions) EXPECT_TRUE(kActionFrames.count(a)) << a;
  }

  static inline TempDir* frames_ = nullptr;
  TempDir home_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ClientCameraE2E, RegistersAndLogsInByFollowingTheServersChallenge) {
  start("required");
  auto reg = run_camera({"register", "--username", "cam_user", "--email", "cam@example.com",
                         "--password", "Correct-Horse-42"},
                        true, performing);
  expect_valid_challenge(reg.actions);
  ASSERT_EQ(reg.exit_code, 0) << reg.out << reg.err;
  auto body = nlohmann::json::parse(reg.out, nullptr, false);  // stdout holds only the result
  EXPECT_EQ(body["user"]["username"], "cam_user") << reg.out;
  EXPECT_EQ(body["amr"], nlohmann::json({"face", "liveness_challenge"})) << reg.out;
  // The steps were announced in the challenge's order, and the frames counted.
  std::vector<std::string> steps;
  std::istringstream lines(reg.err);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("event", "") == "step") steps.push_back(j["step"]);
    if (j.is_object() && j.value("event", "") == "captured") {
      EXPECT_GE(j["frames"].get<int>(), 8);
    }
  }
  std::vector<std::string> expected = {"frontal"};
  expected.insert(expected.end(), reg.actions.begin(), reg.actions.end());
  EXPECT_EQ(steps, expected) << reg.err;

  // A new challenge for the login, in text prompts this time.
  auto login = run_camera({"login"}, false, performing);
  expect_valid_challenge(login.actions);
  ASSERT_EQ(login.exit_code, 0) << login.out << login.err;
  body = nlohmann::json::parse(login.out, nullptr, false);
  EXPECT_EQ(body["user"]["username"], "cam_user") << login.out;
  EXPECT_EQ(body["amr"], nlohmann::json({"face", "liveness_challenge"}));
  EXPECT_NE(login.err.find("> " + std::string("Look straight at the camera")), std::string::npos)
      << login.err;

  auto me = client({"me"});
  ASSERT_EQ(me.exit_code, 0) << me.output;
  EXPECT_EQ(nlohmann::json::parse(me.output, nullptr, false)["face_templates"], 1);
}

TEST_F(ClientCameraE2E, ClipsThatDoNotFollowTheChallengeAreRefusedWithExitCode2) {
  start("required");
  // Enrol the person of the clips (a single photo is refused here: challenge_required).
  auto photo =
      client({"register", "--username", "cam_owner", "--email", "owner@example.com", "--password",
              "Correct-Horse-42", "--image", frames_->file("tfjs_0001.jpg")});
  EXPECT_EQ(photo.exit_code, 3) << photo.output;
  EXPECT_NE(photo.output.find("challenge_required"), std::string::npos) << photo.output;
  auto reg = run_camera({"register", "--username", "cam_owner", "--email", "owner@example.com",
                         "--password", "Correct-Horse-42"},
                        true, performing);
  ASSERT_EQ(reg.exit_code, 0) << reg.out << reg.err;

  // The owner's photo held still in front of the camera.
  auto still = run_camera({"login"}, false, [](const auto&) { return still_photo(8); });
  EXPECT_EQ(still.exit_code, 2) << still.out << still.err;
  auto body = nlohmann::json::parse(still.out, nullptr, false);
  EXPECT_EQ(body["error"]["code"], "action_missing") << still.out;
  EXPECT_EQ(body["status"], 401);

  // A recording of the owner doing other movements than those asked (a replay).
  auto other = [](const std::vector<std::string>& asked) {
    std::vector<std::string> done;
    for (const auto& a : asked) done.push_back(a == "turn_left" ? "turn_right" : "turn_left");
    return performing(done);
  };
  auto replay = run_camera({"login"}, false, other);
  EXPECT_EQ(replay.exit_code, 2) << replay.out << replay.err;
  body = nlohmann::json::parse(replay.out, nullptr, false);
  EXPECT_TRUE(body["error"]["code"] == "action_missing" ||
              body["error"]["code"] == "action_unexpected")
      << replay.out;

  // A clip that ends before the capture does is the client's own error: nothing is sent.
  auto short_clip = run_camera({"login"}, false, [](const auto&) { return still_photo(1.8); });
  EXPECT_EQ(short_clip.exit_code, 3) << short_clip.out << short_clip.err;
  EXPECT_EQ(nlohmann::json::parse(short_clip.out, nullptr, false)["error"]["code"],
            "capture_too_short");
}

TEST_F(ClientCameraE2E, WithChallengesOffTheCameraSendsOnePhoto) {
  start("off");
  auto reg = run_camera({"register", "--username", "cam_photo", "--email", "photo@example.com",
                         "--password", "Correct-Horse-42"},
                        false, [](const auto&) { return still_photo(4); });
  EXPECT_TRUE(reg.actions.empty()) << reg.err;
  EXPECT_NE(reg.err.find("one photo"), std::string::npos) << reg.err;
  ASSERT_EQ(reg.exit_code, 0) << reg.out << reg.err;
  auto login = run_camera({"login"}, true, [](const auto&) { return performing({"blink"}); });
  ASSERT_EQ(login.exit_code, 0) << login.out << login.err;
  auto body = nlohmann::json::parse(login.out, nullptr, false);
  EXPECT_EQ(body["user"]["username"], "cam_photo");
  EXPECT_EQ(body["amr"], nlohmann::json({"face"}));
  EXPECT_NE(login.err.find("\"frames\":1"), std::string::npos) << login.err;
}

TEST_F(ClientCameraE2E, AChallengeThatWouldExpireBeforeTheUploadIsNotRecorded) {
  // 5 s cannot hold 1.5 s to get ready, the capture and the upload allowance.
  server_ = std::make_unique<ServerProcess>(Env{{"RATE_LIMIT_ENABLED", "false"},
                                                {"LIVENESS_CHALLENGE", "required"},
                                                {"LIVENESS_CHALLENGE_TTL_SECONDS", "5"}});
  ASSERT_TRUE(server_->running()) << server_->output();
  auto run = run_camera({"login"}, false, performing);
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  auto body = nlohmann::json::parse(run.out, nullptr, false);
  EXPECT_EQ(body["error"]["code"], "challenge_expired") << run.out;
  EXPECT_EQ(run.err.find("Get ready"), std::string::npos) << "recorded anyway: " << run.err;
}

// Checked before the server is asked anything: the URL below has no server (that would be 4).
TEST(ClientCameraE2EOffline, ACameraThatCannotBeOpenedExitsWith3) {
  TempDir home;
  write_file(home.file("notes.txt"), "not a video");
  const std::string url = "http://127.0.0.1:" + std::to_string(free_port());
  for (const std::string& source : {home.file("missing.y4m"), home.file("notes.txt"),
                                    std::string("/dev/video63"), std::string("63")}) {
    auto r = run_faceid({"client", "--url", url, "login", "--camera", source},
                        base_env(home, {{"XDG_CONFIG_HOME", home.file("config")}}),
                        home.path().string());
    EXPECT_EQ(r.exit_code, 3) << source << ": " << r.output;
    auto body = nlohmann::json::parse(r.output, nullptr, false);
    EXPECT_EQ(body["error"]["code"], "camera_unavailable") << source << ": " << r.output;
  }
  // Without the camera module (an image that ships only the binary) the same, and it says so.
  auto r = run_faceid({"client", "--url", url, "login", "--camera", home.file("notes.txt")},
                      base_env(home, {{"XDG_CONFIG_HOME", home.file("config")},
                                      {"FACEID_CAMERA_MODULE", home.file("missing.so")}}),
                      home.path().string());
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("camera support is not installed"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace faceid::testing
