// The client subcommands: parse options, call the server, keep the tokens, print JSON.
// Tokens never reach stdout (the output names the token file instead); the access token is
// refreshed first when it has expired, and once more when the server says it has.
// With --camera the face comes from a webcam or a clip: through the server's liveness
// challenge when it issues one (LIVENESS_CHALLENGE optional or required), else one photo.
#include "cli/client/client_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "cli/client/api_client.h"
#include "cli/client/camera.h"
#include "cli/client/capture_prompts.h"
#include "cli/client/token_file.h"

namespace faceid::cli::client {
namespace {

// Refresh this long before the recorded expiry, so a token does not lapse in flight.
constexpr std::int64_t kExpirySlackSeconds = 30;
// Time allowed for sending a challenge response before its expiry (the frames are ~1 MB).
constexpr int kUploadAllowanceMs = 5000;

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

nlohmann::json error_body(const std::string& code, const std::string& message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

// What a local failure means for the exit code.
int exit_code_for(const Error& e) {
  return e.code == "unreachable" ? kExitUnreachable : kExitInvalidInput;
}

std::string server_code(const Reply& r) {
  if (r.body.is_object() && r.body.contains("error") && r.body["error"].is_object()) {
    return r.body["error"].value("code", "");
  }
  return "";
}

int exit_code_for(const Reply& r) {
  if (r.status >= 200 && r.status < 300) return kExitOk;
  if (server_code(r) == "registration_refused") return kExitRefused;
  switch (r.status) {
    case 401:
    case 403:
    case 404:
    case 409:
    case 429:
      return kExitRefused;
    case 400:
    case 413:
    case 415:
    case 422:
      return kExitInvalidInput;
    case 502:
    case 503:
    case 504:
      return kExitUnreachable;
    default:
      return kExitOther;
  }
}

Result<std::string> read_image(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("invalid_input", "cannot read image file: " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  if (ss.str().empty()) return make_error("invalid_input", "image file is empty: " + path);
  return ss.str();
}

class Client final : public ClientCommand {
 public:
  explicit Client(CLI::App& app) {
    cmd_ = app.add_subcommand("client", "talk to a FaceID server (JSON output, tokens kept)");
    cmd_->fallthrough();
    cmd_->require_subcommand(1);
    cmd_->add_option("--url", url_, "server base URL")->capture_default_str();
    cmd_->add_option("--prompts", prompts_,
                     "how camera prompts are written on stderr: text, or json (one object a "
                     "line)")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    cmd_->add_option("--tokens-file", tokens_path_,
                     "token file (default $XDG_CONFIG_HOME/faceid/tokens.json or "
                     "~/.config/faceid/tokens.json)");

    register_ = cmd_->add_subcommand("register", "create an account from a photo");
    register_->add_option("--username", username_)->required();
    register_->add_option("--email", email_)->required();
    register_->add_option("--password", password_, "the password, or - to read it from stdin")
        ->required();
    add_image_option(register_);

    login_ = cmd_->add_subcommand(
        "login",
        "sign in with a face: the face finds the account among those that signed in from this "
        "machine before, or alone where the server allows it");
    login_->add_option("--identifier", identifier_,
                       "your username or email, where the server asks for it "
                       "(identifier_required); remembered after a sign-in");
    add_image_option(login_);

    verify_ = cmd_->add_subcommand("verify", "sign in as USERNAME with its face");
    verify_->add_option("--username", username_)->required();
    verify_->add_option("--password", password_, "needed in face+password mode; - reads stdin");
    add_image_option(verify_);

    me_ = cmd_->add_subcommand("me", "show the signed-in account");
    refresh_ = cmd_->add_subcommand("refresh", "exchange the refresh token for a new pair");
    logout_ = cmd_->add_subcommand("logout", "revoke the session and forget its tokens");
    delete_ = cmd_->add_subcommand("delete", "erase the signed-in account and its face data");
  }

  bool selected() const override { return cmd_->parsed(); }

  int run() override {
    std::string path = tokens_path_;
    if (path.empty()) {
      auto p = TokenFile::default_path();
      if (!p) return fail(p.error());
      path = *p;
    }
    tokens_ = std::make_unique<TokenFile>(path);
    api_ = std::make_unique<ApiClient>(url_);
    if (password_ == "-") std::getline(std::cin, password_);
    if (*register_) return sign_in("/api/v1/auth/register", true);
    if (*login_) return sign_in("/api/v1/auth/login", false);
    if (*verify_) return sign_in("/api/v1/auth/verify", false);
    if (*me_) return authorized([&](const std::string& t) { return api_->get(kMe, t); });
    if (*delete_) return erase();
    if (*refresh_) return refresh_command();
    if (*logout_) return logout();
    return kExitInvalidInput;
  }

 private:
  static constexpr const char* kMe = "/api/v1/users/me";

  void add_image_option(CLI::App* sub) {
    auto* image = sub->add_option("--image", image_, "photo of the face (JPEG, PNG or WebP)");
    auto* camera = sub->add_option("--camera", camera_,
                                   "take the face from a camera: an index (default 0), a "
                                   "/dev/video path, or a video file or URL; follows the "
                                   "server's liveness challenge, starting on Enter");
    camera->expected(0, 1);
    image->excludes(camera);
  }

  // True when the chosen subcommand was given --camera (with or without a source).
  bool camera_chosen() const {
    for (CLI::App* sub : {register_, login_, verify_}) {
      if (sub->parsed()) return sub->get_option("--camera")->count() > 0;
    }
    return false;
  }

  int fail(const Error& e) {
    std::cout << error_body(e.code, e.message).dump(2) << "\n";
    return exit_code_for(e);
  }

  // Prints the server's body without tokens; returns the exit code for the reply.
  int print(const Reply& r) {
    nlohmann::json out = r.body.is_null() ? nlohmann::json::object() : r.body;
    if (out.is_object() && out.contains("access_token")) {
      out.erase("access_token");
      out.erase("refresh_token");
      out["tokens_file"] = tokens_->path();
    }
    if (r.status < 200 || r.status >= 300) {
      if (!out.is_object() || !out.contains("error")) {
        out = error_body("http_" + std::to_string(r.status), "unexpected server answer");
      }
      out["status"] = r.status;
    }
    std::cout << out.dump(2) << "\n";
    return exit_code_for(r);
  }

  // Keeps the token pair of a successful sign-in, refresh or registration.
  Status keep(const nlohmann::json& body) {
    if (!body.is_object() || !body.contains("refresh_token")) return {};
    return tokens_->save(url_, {body.value("access_token", ""), body.value("refresh_token", ""),
                                now_seconds() + body.value("expires_in", std::int64_t{0})});
  }

  int sign_in(const std::string& path, bool with_account) {
    std::vector<Part> parts;
    if (!username_.empty()) parts.push_back({"username", username_, ""});
    if (*login_) {
      // The accounts that signed in from this machine go as hints (1:k); an identifier given
      // now replaces them.
      auto known = tokens_->accounts(url_);
      if (!known) return fail(known.error());
      if (!identifier_.empty()) {
        parts.push_back({"identifier", identifier_, ""});
      } else {
        for (const auto& a : *known) parts.push_back({"hints", a, ""});
      }
    }
    if (with_account) parts.push_back({"email", email_, ""});
    if (!password_.empty()) parts.push_back({"password", password_, ""});
    if (camera_chosen()) {
      auto not_issued = add_camera_face(parts);
      if (!not_issued) return fail(not_issued.error());
      if (*not_issued) return print(**not_issued);
    } else if (!image_.empty()) {
      auto image = read_image(image_);
      if (!image) return fail(image.error());
      parts.push_back({"face_image", *image, "face.jpg"});
    } else {
      return fail(make_error("invalid_input", "give the face with --image FILE or --camera"));
    }
    auto reply = api_->post_multipart(path, parts);
    if (!reply) return fail(reply.error());
    if (reply->status >= 200 && reply->status < 300) {
      if (Status s = keep(reply->body); !s) return fail(s.error());
      if (Status s = remember(reply->body); !s) return fail(s.error());
    }
    return print(*reply);
  }

  Status remember(const nlohmann::json& body) {
    if (!body.is_object() || !body.contains("user") || !body["user"].is_object()) return {};
    const std::string name = body["user"].value("username", "");
    return name.empty() ? Status{} : tokens_->remember_account(url_, name);
  }

  // Adds the face from the camera to `parts`: the frames of a challenge response when the
  // server issues challenges (asked for as the web page does), else, when it answers 404
  // (LIVENESS_CHALLENGE=off), one photo. Returns the server's answer when it refused to
  // issue a challenge for another reason (rate limit, server error).
  Result<std::optional<Reply>> add_camera_face(std::vector<Part>& parts) {
    Camera camera(camera_.empty() ? "0" : camera_);
    // A missing camera fails before a challenge is spent.
    if (Status s = camera.check(); !s) return s.error();
    CapturePrompts prompts(std::cerr, prompts_ == "json");
    auto issued = api_->post_json("/api/v1/liveness/challenges", nlohmann::json::object());
    if (!issued) return issued.error();
    if (issued->status != 201 && issued->status != 404) return std::optional<Reply>(*issued);
    if (issued->status == 404) {  // LIVENESS_CHALLENGE=off: a single photo is what it takes
      prompts.photo();
      wait_for_enter(prompts);
      prompts.get_ready();
      auto photo = camera.take_photo();
      if (!photo) return photo.error();
      prompts.captured(1);
      parts.push_back({"face_image", *photo, "camera.jpg"});
      return std::optional<Reply>();
    }
    const nlohmann::json& ch = issued->body;
    auto actions = ch.value("actions", std::vector<std::string>{});
    int min_frames = ch.value("min_frames", 1);
    int max_frames = ch.value("max_frames", 40);
    const int expires_in = ch.value("expires_in", 0);
    const auto issued_at = std::chrono::steady_clock::now();
    prompts.challenge(actions, expires_in, min_frames, max_frames,
                      challenge_capture_ms(actions.size()));
    wait_for_enter(prompts);
    // Recording for a challenge that will have expired by the upload would only waste the
    // person's effort: say so now.
    const auto needed = std::chrono::milliseconds(kGetReadyMs + kUploadAllowanceMs +
                                                  challenge_capture_ms(actions.size()));
    if (expires_in > 0 &&
        std::chrono::steady_clock::now() - issued_at + needed > std::chrono::seconds(expires_in)) {
      const auto budget = std::chrono::seconds(expires_in) - needed;
      return make_error(
          "challenge_expired",
          "the challenge (" + std::to_string(expires_in) +
              " s) would expire before a recording started now reached the server; run the "
              "command again and press Enter within " +
              std::to_string(std::max<long>(
                  0, std::chrono::duration_cast<std::chrono::seconds>(budget).count())) +
              " s");
    }
    prompts.get_ready();
    auto frames = camera.record_challenge(actions, min_frames, max_frames,
                                          [&](const std::string& s) { prompts.step(s); });
    if (!frames) return frames.error();
    prompts.captured(frames->size());
    parts.push_back({"challenge_id", ch.value("challenge_id", ""), ""});
    for (std::size_t i = 0; i < frames->size(); ++i) {
      parts.push_back({"frames", (*frames)[i], "frame-" + std::to_string(i) + ".jpg"});
    }
    return std::optional<Reply>();
  }

  // Recording starts when the person (or the program driving the client) is ready; at the end
  // of stdin it starts at once.
  static void wait_for_enter(const CapturePrompts& prompts) {
    prompts.waiting_for_enter();
    std::string line;
    std::getline(std::cin, line);
  }

  Result<SavedTokens> saved() {
    auto t = tokens_->load(url_);
    if (!t) return t.error();
    if (!t->has_value() || (*t)->refresh_token.empty()) {
      return make_error("not_signed_in",
                        "not signed in to " + url_ + ": run `faceid client login`");
    }
    return **t;
  }

  // Exchanges the saved refresh token; a refused one is forgotten (it cannot work again).
  Result<Reply> refresh_tokens(const SavedTokens& t) {
    auto reply = api_->post_json("/api/v1/auth/refresh", {{"refresh_token", t.refresh_token}});
    if (!reply) return reply;
    if (reply->status == 200) {
      if (Status s = keep(reply->body); !s) return s.error();
    } else if (reply->status == 401) {
      (void)tokens_->forget(url_);
    }
    return reply;
  }

  int refresh_command() {
    auto t = saved();
    if (!t) return fail(t.error());
    auto reply = refresh_tokens(*t);
    if (!reply) return fail(reply.error());
    return print(*reply);
  }

  // Calls `call` with a valid access token: refreshed first when expired, and once more
  // when the server answers token_expired.
  template <typename Call>
  int authorized(Call call, Reply* out = nullptr) {
    auto t = saved();
    if (!t) return fail(t.error());
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (attempt == 1 || t->access_expires_at <= now_seconds() + kExpirySlackSeconds) {
        auto r = refresh_tokens(*t);
        if (!r) return fail(r.error());
        if (r->status != 200) return print(*r);
        t = saved();
        if (!t) return fail(t.error());
      }
      auto reply = call(t->access_token);
      if (!reply) return fail(reply.error());
      if (reply->status == 401 && server_code(*reply) == "token_expired" && attempt == 0) continue;
      if (out != nullptr) *out = *reply;
      return print(*reply);
    }
    return kExitOther;
  }

  int erase() {
    Reply reply;
    int code = authorized([&](const std::string& t) { return api_->del(kMe, t); }, &reply);
    if (code == kExitOk) (void)tokens_->forget(url_);
    return code;
  }

  int logout() {
    auto t = saved();
    if (!t) return fail(t.error());
    auto reply = api_->post_json("/api/v1/auth/logout", {{"refresh_token", t->refresh_token}});
    if (!reply) return fail(reply.error());
    // Forget the tokens whenever the server will not take them again.
    if (reply->status == 200 || reply->status == 401) (void)tokens_->forget(url_);
    return print(*reply);
  }

  CLI::App* cmd_;
  CLI::App* register_;
  CLI::App* login_;
  CLI::App* verify_;
  CLI::App* me_;
  CLI::App* refresh_;
  CLI::App* logout_;
  CLI::App* delete_;
  std::string url_ = "http://localhost:8000";
  std::string tokens_path_;
  std::string username_;
  std::string identifier_;
  std::string email_;
  std::string password_;
  std::string image_;
  std::string camera_;
  std::string prompts_ = "text";
  std::unique_ptr<TokenFile> tokens_;
  std::unique_ptr<ApiClient> api_;
};

}  // namespace

std::unique_ptr<ClientCommand> ClientCommand::attach(CLI::App& app) {
  return std::make_unique<Client>(app);
}

}  // namespace faceid::cli::client
