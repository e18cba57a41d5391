// Packaging checks that run without a container engine: compose.yaml against the Compose
// JSON schema, the Prometheus config and alert rules with promtool (syntax and unit tests),
// the Grafana dashboard and the alert rules against the series a real server exports, and
// the Dockerfile's runtime layout (its ENV, models and docs files) started as a real server.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "api/docs_routes.h"
#include "support/http_client.h"
#include "support/server_process.h"

namespace faceid::testing {
namespace {

namespace fs = std::filesystem;
const std::string kSource = FACEID_SOURCE_DIR;

// Commands run from the source tree (paths in the repository are relative to it).
RunResult run(const std::string& command) { return run_shell("cd " + kSource + " && " + command); }

std::string source_file(const std::string& rel) { return read_file(kSource + "/" + rel); }

// Every faceid_* name a text mentions.
std::set<std::string> faceid_names(const std::string& text) {
  std::set<std::string> out;
  static const std::regex kName("faceid_[a-z0-9_]+");
  for (std::sregex_iterator it(text.begin(), text.end(), kName), end; it != end; ++it) {
    out.insert(it->str());
  }
  return out;
}

TEST(Compose, FileMatchesTheComposeSpecSchema) {
  auto r = run("node tests/deploy/validate_compose.mjs compose.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"valid\":true"), std::string::npos) << r.output;
}

TEST(Compose, ValidatorRejectsAnUnknownServiceKey) {
  TempDir dir;
  std::string broken =
      std::regex_replace(source_file("compose.yaml"), std::regex("\n    stop_signal: SIGTERM\n"),
                         "\n    stop_signal: SIGTERM\n    stop_signl: SIGKILL\n");
  write_file(dir.file("compose.yaml"), broken);
  auto r = run("node tests/deploy/validate_compose.mjs " + dir.file("compose.yaml"));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("stop_signl"), std::string::npos) << r.output;
}

TEST(Compose, RunsTwoReplicasWithTheBackendsAndMonitoring) {
  std::string compose = source_file("compose.yaml");
  for (const char* service : {"\n  faceid:", "\n  postgres:", "\n  redis:", "\n  prometheus:",
                              "\n  grafana:", "\n  blackbox:", "\n  migrate:"}) {
    EXPECT_NE(compose.find(service), std::string::npos) << service;
  }
  EXPECT_NE(compose.find("replicas: 2"), std::string::npos);
  EXPECT_NE(compose.find("image: pgvector/pgvector:"), std::string::npos);
  // Every file compose mounts from the repository exists.
  static const std::regex kMount("- \\./([^:]+):");
  int mounts = 0;
  for (std::sregex_iterator it(compose.begin(), compose.end(), kMount), end; it != end; ++it) {
    EXPECT_TRUE(fs::exists(kSource + "/" + (*it)[1].str())) << (*it)[1];
    ++mounts;
  }
  EXPECT_GE(mounts, 4);
}

TEST(Prometheus, ConfigAndRulesPassPromtool) {
  // As compose mounts it: the config, its rules, and the metrics token secret beside them
  // (a stand-in here; promtool checks that the file exists).
  TempDir dir;
  fs::copy(kSource + "/deploy/prometheus", dir.path(), fs::copy_options::recursive);
  fs::create_directories(dir.path() / "secrets");
  write_file(dir.file("secrets/metrics_token"), "stand-in");
  auto config = run("promtool check config " + dir.file("prometheus.yml"));
  EXPECT_EQ(config.exit_code, 0) << config.output;
  EXPECT_NE(config.output.find("SUCCESS: 7 rules found"), std::string::npos) << config.output;
  std::string prometheus = source_file("deploy/prometheus/prometheus.yml");
  EXPECT_NE(prometheus.find("credentials_file: secrets/metrics_token"), std::string::npos);
  EXPECT_NE(source_file("compose.yaml").find("target: /etc/prometheus/secrets/metrics_token"),
            std::string::npos);
  auto rules = run("promtool check rules deploy/prometheus/rules/faceid-alerts.yml");
  EXPECT_EQ(rules.exit_code, 0) << rules.output;
  auto tests = run("promtool test rules deploy/prometheus/tests/faceid-alerts-test.yml");
  EXPECT_EQ(tests.exit_code, 0) << tests.output;
  std::string alerts = source_file("deploy/prometheus/rules/faceid-alerts.yml");
  for (const char* alert : {"FaceIDHighErrorRate", "FaceIDLoginFailureSpike", "FaceIDRateLimitHits",
                            "FaceIDAccountLockSpike", "FaceIDHighLatencyP99", "FaceIDNotReady"}) {
    EXPECT_NE(alerts.find(alert), std::string::npos) << alert;
  }
}

// The series names of a Prometheus text exposition and its metric families (# TYPE lines).
struct Exposition {
  std::set<std::string> families;
  std::set<std::string> series;
};

Exposition parse_exposition(const std::string& text) {
  Exposition e;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name;
      words >> name;
      if (name.rfind("faceid_", 0) == 0) e.families.insert(name);
    } else if (line.rfind("faceid_", 0) == 0) {
      e.series.insert(line.substr(0, line.find_first_of("{ ")));
    }
  }
  return e;
}

TEST(Grafana, DashboardCoversEverySeriesTheServiceExportsAndNothingElse) {
  // As compose runs it: production, with the token Prometheus sends.
  ServerProcess server({{"ENVIRONMENT", "production"}, {"METRICS_TOKEN", "scrape-token-0123"}});
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient client(server.base_url());
  ASSERT_EQ(client.get("/metrics").status, 401);
  auto metrics = client.get("/metrics", bearer("scrape-token-0123"));
  ASSERT_EQ(metrics.status, 200);
  Exposition exported = parse_exposition(metrics.body);
  ASSERT_GE(exported.families.size(), 8u) << metrics.body;

  auto dashboard = nlohmann::json::parse(source_file("deploy/grafana/dashboards/faceid.json"));
  std::string exprs;
  std::set<int> ids;
  for (const auto& panel : dashboard.at("panels")) {
    EXPECT_TRUE(ids.insert(panel.at("id").get<int>()).second) << "duplicate panel id";
    EXPECT_EQ(panel.at("datasource").at("uid"), "prometheus");
    for (const auto& t : panel.at("targets")) exprs += t.at("expr").get<std::string>() + "\n";
  }
  std::set<std::string> used = faceid_names(exprs);
  for (const auto& family : exported.families) {
    bool covered = false;
    for (const auto& name : used) covered = covered || name.rfind(family, 0) == 0;
    EXPECT_TRUE(covered) << "no dashboard panel shows " << family;
  }
  for (const auto& name : used) {
    EXPECT_TRUE(exported.series.count(name))
        << "the dashboard queries " << name << ", which the service does not export";
  }
  std::set<std::string> in_alerts =
      faceid_names(source_file("deploy/prometheus/rules/faceid-alerts.yml"));
  EXPECT_GE(in_alerts.size(), 4u);
  for (const auto& name : in_alerts) {
    EXPECT_TRUE(exported.series.count(name))
        << "an alert uses " << name << ", which the service does not export";
  }
  // The datasource uid the panels use is the provisioned one.
  EXPECT_NE(
      source_file("deploy/grafana/provisioning/datasources/prometheus.yml").find("uid: prometheus"),
      std::string::npos);
}

// ENV lines of the Dockerfile's last stage, as the runtime image sets them.
std::map<std::string, std::string> runtime_env(const std::string& dockerfile) {
  std::string last = dockerfile.substr(dockerfile.rfind("\nFROM "));
  std::string joined = std::regex_replace(last, std::regex("\\\\\n"), " ");
  std::map<std::string, std::string> env;
  std::istringstream in(joined);
  std::string line;
  static const std::regex kPair("([A-Z_]+)=(\\S*)");
  while (std::getline(in, line)) {
    if (line.rfind("ENV ", 0) != 0) continue;
    for (std::sregex_iterator it(line.begin(), line.end(), kPair), end; it != end; ++it) {
      env[(*it)[1]] = (*it)[2];
    }
  }
  return env;
}

TEST(Dockerfile, MultiStageBookwormNonRootWithHealthcheckAndSetupScript) {
  std::string d = source_file("Dockerfile");
  EXPECT_NE(d.find("FROM debian:bookworm-slim AS builder"), std::string::npos);
  EXPECT_NE(d.find("FROM debian:bookworm-slim AS runtime"), std::string::npos);
  EXPECT_NE(d.find("RUN scripts/setup.sh"), std::string::npos);
  EXPECT_NE(d.find("USER faceid"), std::string::npos);
  EXPECT_NE(d.find("HEALTHCHECK"), std::string::npos);
  EXPECT_NE(d.find("http://127.0.0.1:8000/health"), std::string::npos);
  EXPECT_NE(d.find("STOPSIGNAL SIGTERM"), std::string::npos);
  EXPECT_NE(d.find("ENTRYPOINT [\"/usr/local/bin/faceid\"]"), std::string::npos);
  // The image copies exactly the Swagger UI files /docs serves.
  for (const auto& f : api::swagger_ui_files()) EXPECT_NE(d.find(" " + f), std::string::npos) << f;
}

TEST(Dockerfile, RuntimePackagesResolveEveryLibraryOfTheBinary) {
  auto r = run("scripts/runtime-packages.sh " + std::string(FACEID_BIN));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* pkg : {"libsodium23", "libdlib19.1", "libopencv-dnn406", "libcurl4"}) {
    EXPECT_NE(r.output.find(pkg), std::string::npos) << pkg << "\n" << r.output;
  }
}

// Lays out files as the runtime stage does (models, web, docs assets under one root, by
// symlink) and starts the real server with the image's ENV: it must be ready and serve /docs.
TEST(Dockerfile, RuntimeLayoutServesReadyAndDocs) {
  TempDir root;
  auto env = runtime_env(source_file("Dockerfile"));
  ASSERT_EQ(env["MODELS_DIR"], "/opt/faceid/models");
  auto in_root = [&](const std::string& p) { return root.file(p.substr(1)); };
  fs::create_directories(in_root(env["MODELS_DIR"]));
  for (const char* dir : {"face-api", "faceplugin", "cache"}) {
    fs::create_directory_symlink(kSource + "/models/" + dir,
                                 in_root(env["MODELS_DIR"]) + "/" + dir);
  }
  fs::create_symlink("/usr/share/dlib/shape_predictor_68_face_landmarks.dat",
                     in_root(env["MODELS_DIR"]) + "/shape_predictor_68_face_landmarks.dat");
  fs::create_directories(fs::path(in_root(env["WEB_DIR"])).parent_path());
  fs::create_directory_symlink(kSource + "/web", in_root(env["WEB_DIR"]));
  fs::create_directories(in_root(env["DOCS_ASSETS_DIR"]));
  for (const auto& f : api::swagger_ui_files()) {
    fs::create_symlink(kSource + "/node_modules/swagger-ui-dist/" + f,
                       in_root(env["DOCS_ASSETS_DIR"]) + "/" + f);
  }
  Env server_env = {{"MODELS_DIR", in_root(env["MODELS_DIR"])},
                    {"WEB_DIR", in_root(env["WEB_DIR"])},
                    {"DOCS_ASSETS_DIR", in_root(env["DOCS_ASSETS_DIR"])},
                    {"DATA_DIR", root.file("data")},
                    {"LOG_FILE", env["LOG_FILE"]},
                    {"ENVIRONMENT", env["ENVIRONMENT"]}};
  ASSERT_EQ(env["ENVIRONMENT"], "production");
  ServerProcess server(server_env);
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient client(server.base_url());
  auto ready = client.get("/ready");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(client.get("/docs").status, 200);
  EXPECT_EQ(client.get("/docs/swagger-ui-bundle.js").status, 200);
  EXPECT_EQ(client.get("/").status, 200);
}

}  // namespace
}  // namespace faceid::testing
