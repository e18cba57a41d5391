// Store and engine construction.
#include "cli/service_factory.h"

#include <algorithm>
#include <filesystem>
#include <thread>

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

Result<store::StorePtr> open_store(const config::Config& config) {
  if (!config.database_url.empty()) {
    return make_error("invalid_config",
                      "DATABASE_URL: the PostgreSQL store is not available in this build; unset "
                      "it to use the embedded SQLite store");
  }
  auto s =
      store::SqliteStore::open((std::filesystem::path(config.data_dir) / "faceid.db").string());
  if (!s) return s.error();
  return store::StorePtr(std::move(*s));
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
  return o;
}

face::FaceEnginePtr unavailable_engine() { return std::make_unique<UnavailableEngine>(); }

}  // namespace faceid::cli
