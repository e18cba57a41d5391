// `faceid user create-admin` and `faceid user promote|demote`: account administration from
// the shell, against the same store the service uses.
#include <fstream>
#include <iostream>
#include <sstream>

#include "auth/account_service.h"
#include "auth/memory_session_revocations.h"
#include "cli/commands.h"
#include "cli/service_factory.h"

namespace faceid::cli {
namespace {

struct Offline {
  SystemClock clock;
  prometheus::Registry registry;
  observability::AuthMetrics metrics{registry};
};

}  // namespace

int run_user_create_admin(const config::Config& config, const NewAdmin& admin) {
  auto store = open_store(config);
  if (!store || !(*store)->migrate()) {
    std::cerr << "user: cannot open store\n";
    return 1;
  }
  std::ifstream f(admin.face_image, std::ios::binary);
  if (!f) {
    std::cerr << "user: cannot read " << admin.face_image << "\n";
    return 1;
  }
  std::stringstream image;
  image << f.rdbuf();
  auto engine = face::load_face_engine(engine_options(config));
  if (!engine) {
    std::cerr << "user: " << engine.error().message << "\n";
    return 1;
  }
  Offline off;
  auto tokens = auth::TokenService::create({config.secret_key, config.algorithm}, off.clock);
  if (!tokens) {
    std::cerr << "user: " << tokens.error().message << "\n";
    return 1;
  }
  auto calibration = match_calibration(config, (*engine)->model_version());
  if (!calibration) {
    std::cerr << "user: " << calibration.error().message << "\n";
    return 1;
  }
  auth::AuthSettings settings;
  settings.calibration = *calibration;
  settings.tolerance = (*calibration)->one_to_one_threshold(1);
  settings.liveness_enabled = false;  // an operator enrolling from a file, not a camera
  settings.reject_duplicate_faces = config.reject_duplicate_faces;
  auth::MemorySessionRevocations revocations(off.clock);
  auth::AuthContext ctx{**store,   **engine,    *tokens,
                        off.clock, off.metrics, observability::Logger::null(),
                        settings,  revocations};
  auth::AccountService accounts(ctx);
  std::string bytes = image.str();
  auto user = accounts.register_user(
      {admin.username, admin.email, admin.password, bytes, /*is_admin=*/true, {}, {}},
      {"cli", "faceid", ""});
  if (!user) {
    std::cerr << "user: " << user.error().code << ": " << user.error().message << "\n";
    for (const auto& d : user.error().details) std::cerr << "  " << d << "\n";
    return 1;
  }
  std::cout << "created admin " << user->username << " (" << user->id << ")\n";
  return 0;
}

int run_user_set_admin(const config::Config& config, const std::string& username, bool is_admin) {
  auto store = open_store(config);
  if (!store || !(*store)->migrate()) {
    std::cerr << "user: cannot open store\n";
    return 1;
  }
  auto user = (*store)->find_user_by_username(username);
  if (!user || !user->has_value()) {
    std::cerr << "user: no such user " << username << "\n";
    return 1;
  }
  SystemClock clock;
  if (Status s = (*store)->set_admin((*user)->id, is_admin, clock.now()); !s) {
    std::cerr << "user: " << s.error().message << "\n";
    return 1;
  }
  std::cout << username << (is_admin ? " is now an admin\n" : " is no longer an admin\n");
  return 0;
}

}  // namespace faceid::cli
