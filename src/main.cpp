// faceid: one executable, several subcommands. Only wiring lives here.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "config/config.h"
#include "version.h"

namespace {

faceid::Result<faceid::config::Config> load(const std::string& env_file,
                                            std::vector<std::string>* warnings) {
  return faceid::config::load_config_from_process(env_file, warnings);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"FaceID: face authentication service"};
  app.require_subcommand(1);
  std::string env_file = ".env";
  app.add_option("--env-file", env_file, "optional .env file (the environment wins)");

  auto* serve = app.add_subcommand("serve", "serve the HTTP API");
  auto* migrate = app.add_subcommand("migrate", "apply pending database migrations");
  auto* version = app.add_subcommand("version", "print the version");
  auto* config_cmd = app.add_subcommand("config", "print the effective configuration (secrets masked)");

  CLI11_PARSE(app, argc, argv);

  if (*version) {
    std::cout << "faceid " << faceid::kVersion << "\n";
    return 0;
  }
  std::vector<std::string> warnings;
  auto config = load(env_file, &warnings);
  if (!config) {
    std::cerr << "configuration error: " << config.error().message << "\n";
    return 2;
  }
  if (*config_cmd) {
    std::cout << faceid::config::describe(*config) << "\n";
    return 0;
  }
  if (*migrate) return faceid::cli::run_migrate(*config);
  if (*serve) return faceid::cli::run_serve(*config, warnings);
  return 1;
}
