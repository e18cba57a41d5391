// Builds the long-lived parts shared by `serve` and the admin subcommands from Config:
// the store (embedded SQLite or PostgreSQL) and the face engine options.
#pragma once

#include <memory>

#include "auth/session_revocations.h"
#include "common/clock.h"
#include "config/config.h"
#include "face/face_engine.h"
#include "face/match_calibration.h"
#include "liveness/challenge_store.h"
#include "liveness/challenge_verifier.h"
#include "ratelimit/rate_limiter.h"
#include "store/store.h"

namespace faceid::redis {
class RedisClient;
}

namespace faceid::cli {

// Opens the configured store (not yet migrated): PostgreSQL when DATABASE_URL is set, else
// the embedded SQLite file. `model_version` (the loaded embedder's) restricts PostgreSQL's
// 1:N search to comparable templates; "" searches all.
// `duplicate_rule`: PostgreSQL's enrolment lock re-checks new faces against it (the distance
// for a number of active accounts), closing the race between replicas; null: no re-check.
Result<store::StorePtr> open_store(
    const config::Config& config, const std::string& model_version = "",
    std::shared_ptr<const face::MatchCalibration> duplicate_rule = nullptr);

// The model's calibration table with the configured error rates (FACE_MATCH_FMR, ...):
// models_unavailable when none is compiled in for `model_version`.
Result<std::shared_ptr<const face::MatchCalibration>> match_calibration(
    const config::Config& config, const std::string& model_version);

// State replicas must share: in-process without REDIS_URL, in Redis with it.
struct SharedState {
  std::unique_ptr<redis::RedisClient> redis;  // null without REDIS_URL
  ratelimit::RateLimiterPtr limiter;
  // Ended sessions. With Redis already loaded from the store (and again after every
  // reconnect); in-process the caller loads them (SessionService::load_revocations).
  auth::SessionRevocationsPtr revocations;
  // Issued liveness challenges, so a response may reach any replica (and only once).
  liveness::ChallengeStorePtr challenges;
  SharedState();
  SharedState(SharedState&&) noexcept;
  ~SharedState();
};

// Errors: invalid_config (a malformed REDIS_URL). Connects lazily: a Redis that is down makes
// requests fail closed and /ready say so, not the start-up fail.
// `store` and `access_ttl` let the Redis revocation set catch up on sessions ended while a
// replica was cut off from Redis.
Result<SharedState> open_shared_state(const config::Config& config, const Clock& clock,
                                      store::Store& store, std::chrono::seconds access_ttl);

// The engine's options. Its decodes share one DecodeGate (MAX_CONCURRENT_DECODES slots, or
// one per face worker) that the liveness verifier uses too (frame_decoding).
face::EngineOptions engine_options(const config::Config& config);

// How the liveness verifier decodes the frames it compares: the engine's limits and gate.
liveness::FrameDecoding frame_decoding(const face::EngineOptions& engine);

// Stand-in used when the models cannot be loaded: every call fails with models_unavailable
// (503), so operations endpoints still answer and /ready says what is missing.
face::FaceEnginePtr unavailable_engine();

}  // namespace faceid::cli
