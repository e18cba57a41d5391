// The service's typed configuration, loaded once at start-up from the environment and an
// optional .env file (the environment wins). Immutable after start-up; passed, never global.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace faceid::config {

// "10/minute" style limit: `count` requests per `window_seconds`.
struct RateSpec {
  int count = 0;
  int window_seconds = 0;
  std::string text;
};

enum class Environment { kDevelopment, kProduction };

struct Config {
  // Storage and shared state.
  std::string database_url;      // empty: embedded SQLite under data_dir
  std::string redis_url;         // empty: in-process rate limiter
  int pgvector_ef_search = 200;  // PostgreSQL store: hnsw.ef_search (search breadth vs time)
  std::string data_dir = "data";
  std::string models_dir = "models";
  std::string web_dir = "web";  // the sign-in page's static files, served at "/"
  // swagger-ui-dist's files for the /docs page (the Docker image copies them elsewhere).
  std::string docs_assets_dir = "node_modules/swagger-ui-dist";

  // Tokens.
  std::string secret_key;
  bool secret_generated = false;  // true when development mode made one up
  std::string algorithm = "HS256";
  int access_token_expire_minutes = 30;
  int refresh_token_expire_days = 7;
  std::string auth_mode = "face";  // face | face+password (verify route)

  // Face engine.
  // Match decisions come from the model's calibration table (face/match_calibration.h):
  // FACE_MATCH_FMR is the 1:1 false-match rate aimed at; a FACE_RECOGNITION_TOLERANCE > 0
  // overrides the 1:1 distance (0: unset).
  double face_recognition_tolerance = 0;
  double face_match_fmr = 1e-3;
  // Face-only 1:N is answered while its expected false-positive identification rate over the
  // active accounts stays within this budget with a false-non-match rate within the second;
  // otherwise the caller must name the account (identifier_required).
  double face_only_max_fpir = 1e-3;
  double face_only_max_fnmr = 0.3;
  // The duplicate-face rule refuses a new, different person with at most this probability.
  double duplicate_max_refusal = 0.01;
  std::string face_detection_model = "cnn";  // cnn | hog
  bool liveness_enabled = true;
  double liveness_threshold = 0.7;
  // Active liveness challenge: off | optional (a challenge response or a single photo) |
  // required (single photos are refused with challenge_required).
  std::string liveness_challenge = "optional";
  int liveness_challenge_ttl_seconds = 60;  // how long a challenge can be answered
  bool reject_duplicate_faces = true;

  // Abuse protection.
  bool rate_limit_enabled = true;
  // When the shared limiter (Redis) cannot be reached: false refuses limited routes with 503
  // (fail closed), true lets requests through unlimited.
  bool rate_limit_fail_open = false;
  RateSpec rate_limit_register{5, 3600, "5/hour"};
  RateSpec rate_limit_login{10, 60, "10/minute"};
  RateSpec rate_limit_default{100, 3600, "100/hour"};
  int max_failed_login_attempts = 10;
  int lockout_min_clients = 3;         // distinct clients whose failures may lock an account
  double lockout_close_factor = 1.25;  // x tolerance: a close-but-wrong face
  double account_lock_minutes = 30;    // fractions allowed (tests use seconds)
  int failed_attempt_retention_days = 30;
  std::vector<std::string> trusted_proxies;

  // Process and HTTP.
  Environment environment = Environment::kDevelopment;
  int workers = 8;
  std::string host = "0.0.0.0";
  int port = 8000;
  std::string log_level = "info";
  std::string log_file = "logs/app.log";
  std::vector<std::string> cors_origins;
  int max_upload_mb = 10;
  // Face images: decoded at most this many megapixels (larger ones scaled down while decoding;
  // face/decode_limits.h), and at most this many decodes at once in the process (0: one per
  // face worker, min(WORKERS, cores)); a request waits up to decode_wait_ms for a decode slot,
  // then gets 503 server_busy.
  int max_decode_megapixels = 8;
  int max_concurrent_decodes = 0;
  int decode_wait_ms = 2000;
  std::string metrics_token;  // bearer token for /metrics; production without it: not served

  bool production() const { return environment == Environment::kProduction; }
  long long max_body_bytes() const { return static_cast<long long>(max_upload_mb) << 20; }
};

using EnvMap = std::map<std::string, std::string, std::less<>>;

// Parses KEY=VALUE lines (comments, `export`, single/double quotes). Errors name the line.
Result<EnvMap> parse_dotenv(std::string_view text);

// Builds the Config from `env` over `dotenv`. Every malformed value fails with a message
// naming its variable; `warnings` collects non-fatal remarks (generated secret, unknown keys).
Result<Config> load_config(const EnvMap& env, const EnvMap& dotenv,
                           std::vector<std::string>* warnings);

// Reads the process environment and, when it exists, the file at `dotenv_path`.
Result<Config> load_config_from_process(const std::string& dotenv_path,
                                        std::vector<std::string>* warnings);

// The effective configuration as pretty JSON with secrets and credentials masked.
std::string describe(const Config& config);

// Parses "5/hour", "10 per minute", "100/h". Exposed for tests.
Result<RateSpec> parse_rate_spec(std::string_view text);

}  // namespace faceid::config
