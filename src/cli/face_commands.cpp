// Face CLI commands. Engine errors become {"error": {"code", "message", "details"}} JSON.
#include "cli/face_commands.h"

#include <chrono>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "face/engine_loader.h"

namespace faceid::cli {
namespace {

using json = nlohmann::ordered_json;

Result<std::string> read_image_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("file_not_found", "cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

json error_json(const Error& e) {
  json j{{"code", e.code}, {"message", e.message}};
  if (!e.details.empty()) j["details"] = e.details;
  return j;
}

json quality_json(const face::QualityReport& q) {
  return {
      {"passed", q.passed},       {"failures", q.failures},     {"face_size_px", q.face_size_px},
      {"sharpness", q.sharpness}, {"brightness", q.brightness}, {"yaw_deg", q.yaw_deg},
      {"pitch_deg", q.pitch_deg}};
}

json face_json(const face::FaceResult& f) {
  json j{{"box", {f.box.x, f.box.y, f.box.width, f.box.height}},
         {"score", f.box.score},
         {"quality", quality_json(f.quality)}};
  j["liveness"] = f.liveness ? json(*f.liveness) : json(nullptr);
  j["embedding"] = f.embedding;
  return j;
}

Result<face::FaceEnginePtr> load_engine(const face::EngineOptions& options, std::ostream& out) {
  auto engine = face::load_face_engine(options);
  if (!engine) out << json{{"error", error_json(engine.error())}}.dump() << "\n";
  return engine;
}

}  // namespace

int run_embed(const face::EngineOptions& options, const std::vector<std::string>& files,
              bool liveness, std::ostream& out) {
  auto engine = load_engine(options, out);
  if (!engine) return 1;
  face::AnalyzeOptions analyze;
  analyze.liveness = liveness;
  analyze.enforce_quality = false;
  int rc = 0;
  for (const auto& file : files) {
    json line{{"file", file}};
    auto bytes = read_image_file(file);
    auto faces = bytes ? (*engine)->analyze_all(*bytes, analyze)
                       : Result<std::vector<face::FaceResult>>(bytes.error());
    if (faces) {
      line["faces"] = json::array();
      for (const auto& f : *faces) line["faces"].push_back(face_json(f));
    } else {
      line["error"] = error_json(faces.error());
      rc = 1;
    }
    out << line.dump() << "\n";
  }
  return rc;
}

int run_compare(const face::EngineOptions& options, const std::string& a, const std::string& b,
                double threshold, std::ostream& out) {
  auto engine = load_engine(options, out);
  if (!engine) return 1;
  face::AnalyzeOptions analyze;
  analyze.enforce_quality = false;
  face::Embedding embeddings[2];
  const std::string* files[2] = {&a, &b};
  for (int i = 0; i < 2; ++i) {
    auto bytes = read_image_file(*files[i]);
    auto face = bytes ? (*engine)->analyze_single(*bytes, analyze)
                      : Result<face::FaceResult>(bytes.error());
    if (!face) {
      out << json{{"file", *files[i]}, {"error", error_json(face.error())}}.dump() << "\n";
      return 1;
    }
    embeddings[i] = face->embedding;
  }
  const double distance = face::embedding_distance(embeddings[0], embeddings[1]);
  out << json{{"distance", distance}, {"threshold", threshold}, {"match", distance <= threshold}}
             .dump()
      << "\n";
  return 0;
}

int run_prepare_models(const face::EngineOptions& options, std::ostream& out) {
  face::EngineLoadReport report;
  const auto start = std::chrono::steady_clock::now();
  auto engine = face::load_face_engine_timed(options, &report);
  const double total =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!engine) {
    out << json{{"error", error_json(engine.error())}}.dump() << "\n";
    return 1;
  }
  json steps = json::array();
  for (const auto& [what, ms] : report.steps_ms) steps.push_back({{"model", what}, {"ms", ms}});
  out << json{{"models_dir", options.models_dir},
              {"detector", options.detector},
              {"workers", options.workers},
              {"model_version", (*engine)->model_version()},
              {"loaded", steps},
              {"total_ms", total}}
             .dump()
      << "\n";
  return 0;
}

}  // namespace faceid::cli
