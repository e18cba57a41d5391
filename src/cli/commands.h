// Subcommands of the faceid executable. Each returns the process exit code.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace faceid::cli {

// Serves HTTP until SIGTERM/SIGINT, then drains in-flight requests and returns 0.
int run_serve(const config::Config& config, const std::vector<std::string>& warnings);

// Applies pending migrations to the configured store.
int run_migrate(const config::Config& config);

struct NewAdmin {
  std::string username;
  std::string email;
  std::string password;
  std::string face_image;  // path to a photo of the admin's face
};

// Creates an admin account (liveness is not checked: the photo comes from a file).
int run_user_create_admin(const config::Config& config, const NewAdmin& admin);
// Grants or removes the admin role of an existing account.
int run_user_set_admin(const config::Config& config, const std::string& username, bool is_admin);

}  // namespace faceid::cli
