// faceid: one executable, several subcommands. Only wiring lives here.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/client/client_command.h"
#include "cli/commands.h"
#include "cli/face_commands.h"
#include "cli/service_factory.h"
#include "config/config.h"
#include "face/blas_kernels.h"
#include "version.h"

int main(int argc, char** argv) {
  CLI::App app{"FaceID: face authentication service"};
  app.require_subcommand(1);
  std::string env_file = ".env";
  app.add_option("--env-file", env_file, "optional .env file (the environment wins)");

  auto* serve = app.add_subcommand("serve", "serve the HTTP API");
  auto* migrate = app.add_subcommand("migrate", "apply pending database migrations");
  auto* version = app.add_subcommand("version", "print the version");
  auto* config_cmd =
      app.add_subcommand("config", "print the effective configuration (secrets masked)");

  auto* embed = app.add_subcommand("embed", "detect faces and print their embeddings as JSON");
  std::vector<std::string> embed_files;
  bool embed_liveness = false;
  embed->add_option("IMAGE", embed_files, "image files")->required();
  embed->add_flag("--liveness", embed_liveness, "also score passive liveness");
  bool embed_json = true;
  embed->add_flag("--json", embed_json, "JSON lines output (the default and only format)");

  auto* compare = app.add_subcommand("compare", "distance between the faces of two photos");
  std::string compare_a;
  std::string compare_b;
  compare->add_option("A", compare_a, "first image")->required();
  compare->add_option("B", compare_b, "second image")->required();

  auto* models = app.add_subcommand("models", "prepare (convert) and load the face models");

  auto* user = app.add_subcommand("user", "account administration");
  user->require_subcommand(1);
  auto* create_admin = user->add_subcommand("create-admin", "create an admin account");
  faceid::cli::NewAdmin admin;
  create_admin->add_option("--username", admin.username)->required();
  create_admin->add_option("--email", admin.email)->required();
  create_admin->add_option("--password", admin.password)->required();
  create_admin->add_option("--face", admin.face_image, "photo of the admin's face")->required();
  std::string promote_name;
  auto* promote = user->add_subcommand("promote", "grant the admin role to an account");
  promote->add_option("USERNAME", promote_name)->required();
  auto* demote = user->add_subcommand("demote", "remove the admin role from an account");
  demote->add_option("USERNAME", promote_name)->required();

  auto client = faceid::cli::client::ClientCommand::attach(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // Bad usage of the client is "invalid input" (3) like its other input errors.
    return rc != 0 && client->selected() ? faceid::cli::client::kExitInvalidInput : rc;
  }

  if (client->selected()) return client->run();  // needs no server configuration

  if (*version) {
    std::cout << "faceid " << faceid::kVersion << "\n";
    return 0;
  }
  faceid::face::use_best_openblas_kernels(argv);  // may re-execute this process

  std::vector<std::string> warnings;
  auto config = faceid::config::load_config_from_process(env_file, &warnings);
  if (!config) {
    std::cerr << "configuration error: " << config.error().message << "\n";
    return 2;
  }
  if (*config_cmd) {
    std::cout << faceid::config::describe(*config) << "\n";
    return 0;
  }
  auto engine = faceid::cli::engine_options(*config);
  if (*embed) return faceid::cli::run_embed(engine, embed_files, embed_liveness, std::cout);
  if (*compare) {
    // The 1:1 threshold for one template (FACE_MATCH_FMR on the calibration table).
    auto calibration = faceid::cli::match_calibration(*config, faceid::face::kDefaultModelVersion);
    if (!calibration) {
      std::cerr << calibration.error().message << "\n";
      return 1;
    }
    return faceid::cli::run_compare(engine, compare_a, compare_b,
                                    (*calibration)->one_to_one_threshold(1), std::cout);
  }
  if (*models) return faceid::cli::run_prepare_models(engine, std::cout);
  if (*create_admin) return faceid::cli::run_user_create_admin(*config, admin);
  if (*promote) return faceid::cli::run_user_set_admin(*config, promote_name, true);
  if (*demote) return faceid::cli::run_user_set_admin(*config, promote_name, false);
  if (*migrate) return faceid::cli::run_migrate(*config);
  if (*serve) return faceid::cli::run_serve(*config, warnings);
  return 1;
}
