// Builds the long-lived parts shared by `serve` and the admin subcommands from Config:
// the store (embedded SQLite, or PostgreSQL once built) and the face engine options.
#pragma once

#include "config/config.h"
#include "face/face_engine.h"
#include "store/store.h"

namespace faceid::cli {

// Opens the configured store (not yet migrated).
Result<store::StorePtr> open_store(const config::Config& config);

face::EngineOptions engine_options(const config::Config& config);

// Stand-in used when the models cannot be loaded: every call fails with models_unavailable
// (503), so operations endpoints still answer and /ready says what is missing.
face::FaceEnginePtr unavailable_engine();

}  // namespace faceid::cli
