// `faceid serve` and `faceid migrate`: wire config, logs, metrics, store, face engine, auth
// services and HTTP together, then wait for SIGTERM/SIGINT.
#include <pthread.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <iostream>
#include <memory>
#include <thread>

#include "api/admin_routes.h"
#include "api/api_context.h"
#include "api/auth_routes.h"
#include "api/docs_routes.h"
#include "api/liveness_routes.h"
#include "api/ops_routes.h"
#include "api/rate_limit_middleware.h"
#include "api/static_routes.h"
#include "api/user_routes.h"
#include "auth/account_service.h"
#include "auth/face_auth_service.h"
#include "auth/retention_task.h"
#include "auth/session_service.h"
#include "cli/commands.h"
#include "cli/operating_point.h"
#include "cli/service_factory.h"
#include "face/blas_kernels.h"
#include "face/decode_gate.h"
#include "http/middleware.h"
#include "http/server.h"
#include "liveness/challenge_verifier.h"
#include "observability/auth_metrics.h"
#include "observability/logger.h"
#include "observability/metrics.h"
#include "version.h"

namespace faceid::cli {
namespace {

constexpr std::chrono::seconds kRetentionInterval{3600};

// The sign-in page loads nothing from another origin; camera frames travel as blobs.
constexpr const char* kPageCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

// Blocks SIGINT/SIGTERM in every thread started after this call, so sigwait() sees them.
sigset_t block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

auth::AuthSettings auth_settings(const config::Config& c,
                                 std::shared_ptr<const face::MatchCalibration> calibration) {
  auth::AuthSettings s;
  s.tolerance = calibration->one_to_one_threshold(1);
  s.calibration = std::move(calibration);
  s.liveness_enabled = c.liveness_enabled;
  s.liveness_threshold = c.liveness_threshold;
  s.reject_duplicate_faces = c.reject_duplicate_faces;
  s.verify_requires_password = c.auth_mode == "face+password";
  s.lockout.max_failures = c.max_failed_login_attempts;
  s.lockout.min_clients = c.lockout_min_clients;
  s.lockout.close_factor = c.lockout_close_factor;
  s.lockout.lock_duration = std::chrono::seconds(std::llround(c.account_lock_minutes * 60.0));
  s.challenge_mode = c.liveness_challenge == "off"        ? auth::ChallengeMode::kOff
                     : c.liveness_challenge == "required" ? auth::ChallengeMode::kRequired
                                                          : auth::ChallengeMode::kOptional;
  return s;
}

auth::TokenOptions token_options(const config::Config& c) {
  return {c.secret_key, c.algorithm, std::chrono::minutes(c.access_token_expire_minutes),
          std::chrono::hours(24 * c.refresh_token_expire_days)};
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
      {.level = config.log_level,
       .file = config.log_file,
       .to_stdout = true,
       .audit_file = observability::audit_file_beside(config.log_file)},
      &log_error);
  if (!logger) {
    std::cerr << log_error << "\n";
    return 1;
  }
  for (const auto& w : warnings) logger->warn(w);

  const face::EngineOptions engine_opts = engine_options(config);
  auto engine = face::load_face_engine(engine_opts);
  Status models_status;
  if (!engine) {
    // Keep serving operations endpoints; face routes answer 503 and /ready says why.
    logger->error("face models unavailable", {{"error", engine.error().message}});
    models_status = make_error("models_unavailable", engine.error().message);
    engine = unavailable_engine();
  }

  // Every match threshold comes from the model's measured table (docs/accuracy.md).
  auto calibration = match_calibration(config, face::kDefaultModelVersion);
  if (!calibration) {
    logger->error("no match calibration", {{"error", calibration.error().message}});
    return 1;
  }
  // After the engine: the PostgreSQL store searches only templates of its model version.
  auto store = open_store(config, models_status ? (*engine)->model_version() : "", *calibration);
  if (!store) {
    logger->error("cannot open store", {{"error", store.error().message}});
    return 1;
  }
  auto applied = (*store)->migrate();
  if (!applied) {
    logger->error("migration failed", {{"error", applied.error().message}});
    return 1;
  }
  logger->info("migrations",
               {{"applied", static_cast<long long>(*applied)}, {"store", (*store)->backend()}});

  SystemClock clock;
  observability::Metrics metrics;
  observability::AuthMetrics auth_metrics(metrics.registry());
  auto tokens = auth::TokenService::create(token_options(config), clock);
  if (!tokens) {
    logger->error("invalid token settings", {{"error", tokens.error().message}});
    return 2;
  }
  // Rate limits, ended sessions and liveness challenges: in-process, or shared by the replicas
  // through Redis.
  auto shared = open_shared_state(config, clock, **store, tokens->access_ttl());
  if (!shared) {
    logger->error("invalid REDIS_URL", {{"error", shared.error().message}});
    return 2;
  }
  ratelimit::RateLimiter& limiter = *shared->limiter;
  auth::AuthContext auth_ctx{**store,
                             **engine,
                             *tokens,
                             clock,
                             auth_metrics,
                             logger,
                             auth_settings(config, *calibration),
                             *shared->revocations};
  liveness::ChallengeOptions challenge_options;
  challenge_options.lifetime = std::chrono::seconds(config.liveness_challenge_ttl_seconds);
  // Challenges: in-process, or in Redis so any replica can take a response (once).
  liveness::ChallengeService challenge_service(*shared->challenges, clock, challenge_options);
  liveness::ChallengeVerifier challenge_verifier(challenge_service, **engine,
                                                 frame_decoding(engine_opts));
  auth_ctx.challenges = &challenge_verifier;
  auth::SessionService sessions(auth_ctx);
  if (!shared->redis) {
    if (Status s = sessions.load_revocations(); !s) {
      logger->error("cannot load ended sessions", {{"error", s.error().message}});
      return 1;
    }
  }
  auth::AccountService accounts(auth_ctx);
  auth::FaceAuthService face_auth(auth_ctx, sessions);
  api::ApiContext api_ctx{config, auth_ctx, accounts, face_auth, sessions, limiter};
  auth::RetentionTask retention(**store, clock,
                                std::chrono::hours(24 * config.failed_attempt_retention_days),
                                kRetentionInterval, logger);

  api::OpsContext ops{kVersion, {}, &metrics, {}, config.metrics_token, config.production()};
  ops.checks.push_back({"store", [&] { return (*store)->ping(); }});
  ops.checks.push_back({"models", [&] { return models_status; }});
  ops.checks.push_back({"rate_limiter", [&] { return limiter.ping(); }});
  ops.before_metrics = [&] {
    if (auto s = (*store)->summary(clock.now())) {
      auth_metrics.set_accounts(s->active_users, s->locked_users);
    }
    if (auto census = auth_ctx.census->accounts_by_templates(**store, clock.now())) {
      auth_metrics.set_operating_point(operating_point(**calibration, *census));
    }
  };

  http::Router router;
  router.use(http::correlation_id_middleware());
  router.use(http::access_log_middleware(logger));
  router.use(http::metrics_middleware(metrics));
  router.use(http::security_headers_middleware());
  router.use(http::cors_middleware(config.cors_origins));
  router.use(http::body_limit_middleware(config.max_body_bytes()));
  router.use(api::rate_limit_middleware(api_ctx));
  api::add_ops_routes(router, ops);
  api::add_auth_routes(router, api_ctx);
  api::add_user_routes(router, api_ctx);
  api::add_admin_routes(router, api_ctx);
  api::add_liveness_routes(router, api_ctx);
  if (Status s = api::add_static_routes(router, {"/", config.web_dir, kPageCsp}); !s) {
    logger->warn("sign-in page not served", {{"error", s.error().message}});
  }
  if (Status s = api::add_docs_routes(router, config.docs_assets_dir); !s) {
    logger->warn("docs page assets not served", {{"error", s.error().message}});
  }
  for (const auto& r : router.routes()) {
    logger->debug("route", {{"method", r.method}, {"path", r.pattern}});
  }

  http::ServerOptions options;
  options.host = config.host;
  options.port = config.port;
  // Handler work (face pipeline, Argon2) is CPU-bound: more threads than cores only queue
  // inside the scheduler, where the server can no longer refuse them with a quick 503. WORKERS
  // still sets how much may wait: 4 requests per configured worker.
  options.workers =
      std::min(config.workers, std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
  options.queue_capacity = 4 * static_cast<std::size_t>(config.workers);
  options.max_body_bytes = config.max_body_bytes();
  options.trusted_proxies = config.trusted_proxies;
  options.metrics = &metrics;
  options.before_continue = [&router](http::Request& req) -> std::optional<http::Response> {
    // Invite a body only where one can be taken: an existing route, and credentials where the
    // route needs them (its own 401 otherwise). Rate limits apply as to any final answer.
    auto match = router.match(req.method, req.path);
    bool needs_bearer =
        req.path.starts_with("/api/v1/users/") || req.path.starts_with("/api/v1/admin/");
    if (match.kind == http::Router::Match::Kind::kFound &&
        !(needs_bearer && req.header("authorization").empty())) {
      return std::nullopt;
    }
    return router.handle(req);
  };
  // Before the server answers: the thresholds in force are in the log when it does.
  log_operating_point(*logger, **calibration,
                      auth_ctx.census->accounts_by_templates(**store, clock.now()));
  http::Server server(options, router, logger);
  if (Status s = server.start(); !s) {
    logger->error("cannot start HTTP server", {{"error", s.error().message}});
    return 1;
  }
  logger->info("listening",
               {{"host", config.host},
                {"port", static_cast<long long>(server.port())},
                {"workers", static_cast<long long>(config.workers)},
                {"decode_slots", static_cast<long long>(engine_opts.decode_gate->slots())},
                {"max_decode_megapixels", static_cast<long long>(config.max_decode_megapixels)},
                {"store", (*store)->backend()},
                {"shared_state", config.redis_url.empty() ? "memory" : "redis"},
                {"detector", config.face_detection_model},
                {"liveness", config.liveness_enabled},
                {"liveness_challenge", config.liveness_challenge},
                {"environment", config.production() ? "production" : "development"},
                {"openblas_core", face::loaded_openblas_core()},
                {"version", std::string(kVersion)}});
  logger->flush();  // supervisors and tests wait for this line to know the port is ours

  int sig = 0;
  sigwait(&signals, &sig);
  logger->info("shutting down", {{"signal", static_cast<long long>(sig)}});
  server.stop();  // finishes in-flight requests first
  logger->info("stopped");
  logger->flush();
  return 0;
}

}  // namespace faceid::cli
