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

}  // namespace faceid::cli
