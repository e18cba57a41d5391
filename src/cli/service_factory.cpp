// Store and engine construction.
#include "cli/service_factory.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include "auth/memory_session_revocations.h"
#include "auth/redis_session_revocations.h"
#include "face/decode_gate.h"
#include "liveness/memory_challenge_store.h"
#include "liveness/redis_challenge_store.h"
#include "ratelimit/memory_rate_limiter.h"
#include "ratelimit/redis_rate_limiter.h"
#include "redis/redis_client.h"
#include "store/postgres_store.h"
#include "store/sqlite_store.h"

namespace faceid::cli {
namespace {

class UnavailableEngine final : public face::FaceEngine {
 public:
  UnavailableEngine() = default;
  Result<face::FaceResult> analyze_single(std::string_view, const face::AnalyzeOptions&) override {
    return error();
  }
  Result<std::vector<face::FaceResult>> analyze_all(std::string_view,
                                                    const face::AnalyzeOptions&) override {
    return error();
  }
  std::string model_version() const override { return "unavailable"; }

 private:
  static Error error() { return make_error("models_unavailable", "Face models are not loaded"); }
};

}  // namespace

Result<store::StorePtr> open_store(const config::Config& config, const std::string& model_version,
                                   std::shared_ptr<const face::MatchCalibration> duplicate_rule) {
  if (!config.database_url.empty()) {
    if (!store::is_postgres_url(config.database_url)) {
      return make_error("invalid_config",
                        "DATABASE_URL: only postgresql:// URLs are supported; unset it to use "
                        "the embedded SQLite store");
    }
    store::PostgresOptions o;
    o.url = config.database_url;
    o.pool_size = config.workers;
    o.ef_search = config.pgvector_ef_search;
    o.model_version = model_version;
    if (config.reject_duplicate_faces && duplicate_rule) {
      o.duplicate_distance = [rule = std::move(duplicate_rule)](std::int64_t accounts) {
        return rule->duplicate_threshold(accounts);
      };
    }
    auto s = store::PostgresStore::open(o);
    if (!s) return s.error();
    return store::StorePtr(std::move(*s));
  }
  auto s =
      store::SqliteStore::open((std::filesystem::path(config.data_dir) / "faceid.db").string());
  if (!s) return s.error();
  return store::StorePtr(std::move(*s));
}

Result<std::shared_ptr<const face::MatchCalibration>> match_calibration(
    const config::Config& config, const std::string& model_version) {
  face::MatchSettings settings;
  settings.target_fmr = config.face_match_fmr;
  if (config.face_recognition_tolerance > 0) {
    settings.fixed_threshold = config.face_recognition_tolerance;
  }
  settings.face_only_max_fpir = config.face_only_max_fpir;
  settings.face_only_max_fnmr = config.face_only_max_fnmr;
  settings.duplicate_max_refusal = config.duplicate_max_refusal;
  auto table = face::MatchCalibration::builtin(model_version, settings);
  if (!table) return table.error();
  return std::shared_ptr<const face::MatchCalibration>(
      std::make_shared<face::MatchCalibration>(std::move(*table)));
}

SharedState::SharedState() = default;
SharedState::SharedState(SharedState&&) noexcept = default;
SharedState::~SharedState() = default;

Result<SharedState> open_shared_state(const config::Config& config, const Clock& clock,
                                      store::Store& store, std::chrono::seconds access_ttl) {
  SharedState out;
  if (config.redis_url.empty()) {
    out.limiter = std::make_unique<ratelimit::MemoryRateLimiter>(clock);
    out.revocations = std::make_unique<auth::MemorySessionRevocations>(clock);
    out.challenges = std::make_unique<liveness::MemoryChallengeStore>(clock);
    return out;
  }
  auto url = redis::parse_redis_url(config.redis_url);
  if (!url) return url.error();
  redis::RedisOptions o;
  o.pool_size = config.workers;
  out.redis = std::make_unique<redis::RedisClient>(*url, o);
  out.limiter = std::make_unique<ratelimit::RedisRateLimiter>(*out.redis);
  auto catch_up = [&store, &clock, access_ttl] {
    std::vector<std::pair<std::string, TimePoint>> ended;
    if (auto rows = store.revoked_sessions_since(clock.now() - access_ttl)) {
      for (const auto& s : *rows) ended.emplace_back(s.family_id, s.revoked_at + access_ttl);
    }
    return ended;
  };
  out.revocations =
      std::make_unique<auth::RedisSessionRevocations>(*out.redis, clock, std::move(catch_up));
  out.challenges = std::make_unique<liveness::RedisChallengeStore>(*out.redis, clock);
  return out;
}

face::EngineOptions engine_options(const config::Config& config) {
  face::EngineOptions o;
  o.models_dir = config.models_dir;
  o.detector = config.face_detection_model;
  // One network set per core: more would only queue behind the same cores and cost load time
  // and memory; HTTP workers beyond it wait for a set.
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  o.workers = std::min(config.workers, cores);
  o.library_threads = 1;
  o.max_image_bytes = config.max_body_bytes();
  o.max_decoded_pixels = static_cast<long long>(config.max_decode_megapixels) * 1'000'000;
  // Decodes are short (milliseconds for a photo, ~1 s for a 40 MP PNG on a loaded core): a
  // request waits up to DECODE_WAIT_MS for a slot, then gets 503 server_busy like a full work
  // queue.
  const int slots = config.max_concurrent_decodes > 0 ? config.max_concurrent_decodes : o.workers;
  o.decode_gate =
      std::make_shared<face::DecodeGate>(slots, std::chrono::milliseconds(config.decode_wait_ms));
  return o;
}

liveness::FrameDecoding frame_decoding(const face::EngineOptions& engine) {
  return {face::decode_limits(engine), engine.decode_gate};
}

face::FaceEnginePtr unavailable_engine() { return std::make_unique<UnavailableEngine>(); }

}  // namespace faceid::cli
