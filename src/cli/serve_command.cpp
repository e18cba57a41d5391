// `faceid serve` and `faceid migrate`: wire config, logs, metrics, store and HTTP together.
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>

#include <pthread.h>

#include "api/ops_routes.h"
#include "cli/commands.h"
#include "http/middleware.h"
#include "http/server.h"
#include "observability/logger.h"
#include "observability/metrics.h"
#include "store/sqlite_store.h"
#include "version.h"

namespace faceid::cli {
namespace {

Result<store::StorePtr> open_store(const config::Config& config) {
  if (!config.database_url.empty()) {
    return make_error("invalid_config",
                      "DATABASE_URL: the PostgreSQL store is not built yet; unset it to use the "
                      "embedded SQLite store");
  }
  auto s = store::SqliteStore::open((std::filesystem::path(config.data_dir) / "faceid.db").string());
  if (!s) return s.error();
  return store::StorePtr(std::move(*s));
}

// Blocks SIGINT/SIGTERM in every thread started after this call, so sigwait() sees them.
sigset_t block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace

int run_migrate(const config::Config& config) {
  auto store = open_store(config);
  if (!store) {
    std::cerr << "migrate: " << store.error().message << "\n";
    return 1;
  }
  auto applied = (*store)->migrate();
  if (!applied) {
    std::cerr << "migrate: " << applied.error().message << "\n";
    return 1;
  }
  auto version = (*store)->schema_version();
  std::cout << "applied " << *applied << " migration(s); schema version "
            << (version ? *version : -1) << "\n";
  return 0;
}

int run_serve(const config::Config& config, const std::vector<std::string>& warnings) {
  sigset_t signals = block_shutdown_signals();
  std::string log_error;
  auto logger = observability::Logger::create(
      {.level = config.log_level, .file = config.log_file, .to_stdout = true}, &log_error);
  if (!logger) {
    std::cerr << log_error << "\n";
    return 1;
  }
  for (const auto& w : warnings) logger->warn(w);

  auto store = open_store(config);
  if (!store) {
    logger->error("cannot open store", {{"error", store.error().message}});
    return 1;
  }
  if (auto applied = (*store)->migrate(); !applied) {
    logger->error("migration failed", {{"error", applied.error().message}});
    return 1;
  }

  observability::Metrics metrics;
  api::OpsContext ops{kVersion, {}, &metrics};
  ops.checks.push_back({"store", [&] { return (*store)->ping(); }});

  http::Router router;
  router.use(http::correlation_id_middleware());
  router.use(http::access_log_middleware(logger));
  router.use(http::metrics_middleware(metrics));
  router.use(http::security_headers_middleware());
  router.use(http::cors_middleware(config.cors_origins));
  router.use(http::body_limit_middleware(config.max_body_bytes()));
  api::add_ops_routes(router, ops);

  http::ServerOptions options;
  options.host = config.host;
  options.port = config.port;
  options.workers = config.workers;
  options.max_body_bytes = config.max_body_bytes();
  options.trusted_proxies = config.trusted_proxies;
  http::Server server(options, router, logger);
  if (Status s = server.start(); !s) {
    logger->error("cannot start HTTP server", {{"error", s.error().message}});
    return 1;
  }
  logger->info("listening", {{"host", config.host},
                             {"port", static_cast<long long>(server.port())},
                             {"workers", static_cast<long long>(config.workers)},
                             {"store", (*store)->backend()},
                             {"version", std::string(kVersion)}});

  int sig = 0;
  sigwait(&signals, &sig);
  logger->info("shutting down", {{"signal", static_cast<long long>(sig)}});
  server.stop();  // finishes in-flight requests
  logger->info("stopped");
  logger->flush();
  return 0;
}

}  // namespace faceid::cli
