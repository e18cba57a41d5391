// End-to-end: the real `faceid serve` binary over HTTP. Operations endpoints, error shape,
// body limits, correlation ids in responses and logs, config refusal, migrations CLI.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "support/http_client.h"
#include "support/server_process.h"

namespace faceid::testing {
namespace {

// Runs `promtool check metrics` on `text`; returns its exit code and output.
std::pair<int, std::string> promtool_check(const std::string& text) {
  TempDir dir;
  write_file(dir.file("metrics.txt"), text);
  std::string cmd = "promtool check metrics < " + dir.file("metrics.txt") + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (p && fgets(buf, sizeof(buf), p)) out += buf;
  int rc = p ? pclose(p) : -1;
  return {WEXITSTATUS(rc), out};
}

class FoundationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess({{"MAX_UPLOAD_MB", "1"}, {"CORS_ORIGINS", "http://app.test"}});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(server_->running()) << server_->output(); }
  HttpClient client() { return HttpClient(server_->base_url()); }
  static ServerProcess* server_;
};
ServerProcess* FoundationTest::server_ = nullptr;

TEST_F(FoundationTest, HealthReportsStatusVersionAndUptime) {
  auto r = client().get("/health");
  EXPECT_EQ(r.status, 200);
  auto j = r.json();
  EXPECT_EQ(j["status"], "ok");
  EXPECT_FALSE(j["version"].get<std::string>().empty());
  EXPECT_GE(j["uptime_seconds"].get<double>(), 0.0);
  EXPECT_EQ(r.header("content-type"), "application/json");
}

TEST_F(FoundationTest, ReadyListsEveryCheckAsOk) {
  auto r = client().get("/ready");
  EXPECT_EQ(r.status, 200) << r.body;
  auto j = r.json();
  EXPECT_EQ(j["status"], "ready");
  EXPECT_EQ(j["checks"]["store"], "ok");
}

TEST_F(FoundationTest, MetricsPassPromtoolAndCountRequestsByRouteTemplate) {
  auto c = client();
  c.get("/health");
  c.get("/no/such/route");
  auto r = c.get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.header("content-type").find("text/plain"), std::string::npos);
  EXPECT_NE(
      r.body.find("faceid_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"}"),
      std::string::npos);
  EXPECT_NE(r.body.find("route=\"unmatched\",status=\"404\""), std::string::npos);
  EXPECT_NE(r.body.find("faceid_http_request_duration_seconds_bucket"), std::string::npos);
  // The raw path never becomes a label (bounded cardinality).
  EXPECT_EQ(r.body.find("/no/such/route"), std::string::npos);
  // promtool parses the page (exit 1 on a format error) and lints it (exit 3). The only lint
  // finding allowed is the one issue #5 imposes: the gauges faceid_active_users_total and
  // faceid_locked_accounts_total must keep those exact names, "_total" suffix included.
  auto [rc, out] = promtool_check(r.body);
  EXPECT_TRUE(rc == 0 || rc == 3) << out;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    bool mandated = line.rfind("faceid_active_users_total ", 0) == 0 ||
                    line.rfind("faceid_locked_accounts_total ", 0) == 0;
    EXPECT_TRUE(mandated) << "promtool: " << line;
  }
}

TEST_F(FoundationTest, UnknownRouteIsJson404) {
  auto r = client().get("/api/v1/nothing-here");
  EXPECT_EQ(r.status, 404);
  auto j = r.json();
  EXPECT_EQ(j["error"]["code"], "not_found");
  EXPECT_TRUE(j["error"]["message"].is_string());
  EXPECT_TRUE(j["error"]["details"].is_array());
  EXPECT_EQ(j["error"]["correlation_id"], r.header("x-request-id"));
}

TEST_F(FoundationTest, WrongMethodIsJson405WithAllow) {
  auto r = client().post("/health", "{}", "application/json");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.json()["error"]["code"], "method_not_allowed");
  EXPECT_EQ(r.header("allow"), "GET");
}

TEST_F(FoundationTest, OversizeBodyIs413BeforeReading) {
  std::string big((1 << 20) + 1, 'x');
  auto r = client().post("/health", big, "application/octet-stream");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json()["error"]["code"], "payload_too_large");
}

TEST_F(FoundationTest, OversizeMultipartUploadIs413) {
  std::string big(3 << 20, 'y');
  auto r = client().post_multipart("/health", {{"face_image", big, "face.jpg"}});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json()["error"]["code"], "payload_too_large");
}

TEST_F(FoundationTest, BodyWithinLimitIsAccepted) {
  std::string ok((1 << 20) - 100, 'z');
  auto r = client().post("/health", ok, "application/octet-stream");
  EXPECT_EQ(r.status, 405);  // reached the router, not stopped by the limit
}

TEST_F(FoundationTest, CorrelationIdIsEchoedAndLogged) {
  auto r = client().get("/health", {{"X-Request-ID", "e2e-corr-4242"}});
  EXPECT_EQ(r.header("x-request-id"), "e2e-corr-4242");
  EXPECT_EQ(r.header("x-correlation-id"), "e2e-corr-4242");
  auto r2 = client().get("/nope", {{"X-Correlation-ID", "e2e-corr-4343"}});
  EXPECT_EQ(r2.json()["error"]["correlation_id"], "e2e-corr-4343");
  // Access log lines reach the file once written (spdlog flushes per line on a file sink
  // only at warn; allow a moment and poll).
  std::string log;
  for (int i = 0; i < 100 && log.find("e2e-corr-4343") == std::string::npos; ++i) {
    usleep(50000);
    log = read_file(server_->log_file()) + server_->output();
  }
  EXPECT_NE(log.find("\"correlation_id\":\"e2e-corr-4242\""), std::string::npos);
  EXPECT_NE(log.find("\"correlation_id\":\"e2e-corr-4343\""), std::string::npos);
}

TEST_F(FoundationTest, UnsafeCallerIdIsReplacedByUuid) {
  auto r = client().get("/health", {{"X-Request-ID", "bad id with spaces"}});
  EXPECT_EQ(r.header("x-request-id").size(), 36u);
}

TEST_F(FoundationTest, CorsAllowsConfiguredOriginOnly) {
  auto ok = client().get("/health", {{"Origin", "http://app.test"}});
  EXPECT_EQ(ok.header("access-control-allow-origin"), "http://app.test");
  auto bad = client().get("/health", {{"Origin", "http://evil.test"}});
  EXPECT_EQ(bad.header("access-control-allow-origin"), "");
  auto pre =
      client().request("OPTIONS", "/api/v1/auth/login",
                       {{"Origin", "http://app.test"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(pre.status, 204);
}

TEST_F(FoundationTest, MalformedHttpGetsJsonNotHtml) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  std::string junk = "GARBAGE\r\n\r\n";
  ASSERT_GT(write(fd, junk.data(), junk.size()), 0);
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) reply.append(buf, static_cast<size_t>(n));
  close(fd);
  EXPECT_EQ(reply.find("<html"), std::string::npos) << reply;
  if (!reply.empty()) {
    EXPECT_NE(reply.find("\"error\""), std::string::npos) << reply;
  }
}

TEST_F(FoundationTest, SecretsNeverReachTheLogs) {
  client().get("/health", {{"Authorization", "Bearer very-secret-token-value"}});
  usleep(200000);
  std::string log = read_file(server_->log_file()) + server_->output();
  EXPECT_EQ(log.find("test-secret-key-0123456789abcdef0123456789"), std::string::npos);
  EXPECT_EQ(log.find("very-secret-token-value"), std::string::npos);
}

TEST(ServeTest, ProductionRefusesDefaultSecret) {
  TempDir dir;
  for (const char* secret : {"", "changeme", "too-short"}) {
    auto r = run_faceid({"serve"},
                        base_env(dir, {{"ENVIRONMENT", "production"},
                                       {"SECRET_KEY", secret},
                                       {"PORT", std::to_string(free_port())}}),
                        dir.path().string());
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("SECRET_KEY"), std::string::npos) << r.output;
  }
}

TEST(ServeTest, MalformedConfigFailsNamingTheVariable) {
  TempDir dir;
  auto r = run_faceid({"serve"}, base_env(dir, {{"PORT", "eighty"}}), dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("PORT"), std::string::npos) << r.output;
}

TEST(ServeTest, DotenvFileIsReadAndEnvironmentWins) {
  TempDir dir;
  write_file(dir.file(".env"), "LOG_LEVEL=debug\nMAX_UPLOAD_MB=7\n");
  auto r = run_faceid({"config"}, base_env(dir, {{"MAX_UPLOAD_MB", "3"}}), dir.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"LOG_LEVEL\": \"debug\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"MAX_UPLOAD_MB\": 3"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("test-secret-key-0123456789abcdef0123456789"), std::string::npos);
}

TEST(ServeTest, EnvExampleDocumentsEveryVariableAndLoads) {
  TempDir dir;
  std::string example = read_file(std::string(FACEID_SOURCE_DIR) + "/.env.example");
  write_file(dir.file(".env"), example);
  // Only PATH and HOME: every value comes from the example file.
  auto r = run_faceid({"config"}, {{"PATH", "/usr/bin:/bin"}, {"HOME", dir.path().string()}},
                      dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("ignoring unknown"), std::string::npos) << r.output;
  auto config = nlohmann::json::parse(r.output.substr(r.output.find('{')), nullptr, false);
  ASSERT_TRUE(config.is_object()) << r.output;
  for (const auto& [name, value] : config.items()) {
    EXPECT_NE(example.find("\n" + name + "="), std::string::npos) << name << " undocumented";
  }
}

TEST(ServeTest, GracefulShutdownOnSigtermExitsZero) {
  ServerProcess server;
  ASSERT_TRUE(server.running()) << server.output();
  EXPECT_EQ(server.stop(SIGTERM), 0) << server.output();
  EXPECT_NE(server.output().find("\"message\":\"stopped\""), std::string::npos);
}

TEST(ServeTest, ReadyIs503NamingTheFailedCheckWhenModelsAreMissing) {
  TempDir empty_models;
  ServerProcess server({{"MODELS_DIR", empty_models.path().string()}});
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient c(server.base_url());
  EXPECT_EQ(c.get("/health").status, 200);  // the process is alive
  auto ready = c.get("/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.json()["status"], "not_ready");
  EXPECT_EQ(ready.json()["checks"]["models"], "models_unavailable");
  EXPECT_EQ(ready.json()["checks"]["store"], "ok");
  // Face routes answer 503 with a JSON body instead of crashing.
  auto login = c.post_multipart("/api/v1/auth/login", {{"face_image", "x", "f.jpg"}});
  EXPECT_EQ(login.status, 503);
  EXPECT_EQ(login.json()["error"]["code"], "models_unavailable");
}

TEST(MigrateTest, FreshDatabaseThenRerunIsIdempotent) {
  TempDir dir;
  auto env = base_env(dir, {});
  auto first = run_faceid({"migrate"}, env, dir.path().string());
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("applied 3 migration(s)"), std::string::npos) << first.output;
  auto second = run_faceid({"migrate"}, env, dir.path().string());
  EXPECT_EQ(second.exit_code, 0);
  EXPECT_NE(second.output.find("applied 0 migration(s)"), std::string::npos) << second.output;
}

}  // namespace
}  // namespace faceid::testing
