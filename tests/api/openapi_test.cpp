// The OpenAPI document against the real server: the routes the server registers and the
// document's paths and methods agree in both directions, every error code a response lists
// maps to that response's status, the served document is the repository's, and the document
// passes an OpenAPI 3.1 validator (@seriousme/openapi-schema-validator, pinned in package.json).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "api/docs_routes.h"
#include "api/error_mapping.h"
#include "support/http_client.h"
#include "support/server_process.h"

namespace faceid::testing {
namespace {

namespace fs = std::filesystem;
using Route = std::pair<std::string, std::string>;  // method, path template

const std::string kSource = FACEID_SOURCE_DIR;

nlohmann::json repository_document() {
  std::ifstream in(kSource + "/src/api/docs/openapi.json");
  return nlohmann::json::parse(in);
}

std::set<Route> documented_routes(const nlohmann::json& doc) {
  static const std::set<std::string> kMethods = {"get", "put", "post", "delete", "patch"};
  std::set<Route> out;
  for (const auto& [path, item] : doc.at("paths").items()) {
    for (const auto& [method, op] : item.items()) {
      if (!kMethods.count(method)) continue;
      std::string upper = method;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.insert({upper, path});
    }
  }
  return out;
}

// The rule for what the document does not describe: pages and their files. That is GET of
// every file in WEB_DIR (and "/" for its index.html), and GET of /docs and everything under
// it (the docs page, its script and the Swagger UI files). Anything else is API.
bool is_static_file_route(const Route& r, const std::set<std::string>& web_files) {
  if (r.first != "GET") return false;
  const std::string& p = r.second;
  if (p == "/docs" || p.rfind("/docs/", 0) == 0) return true;
  if (p == "/" && web_files.count("/index.html")) return true;
  return web_files.count(p) > 0;
}

std::set<std::string> web_files() {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(kSource + "/web")) {
    if (e.is_regular_file()) out.insert("/" + fs::relative(e.path(), kSource + "/web").string());
  }
  return out;
}

// The routes a real server registered: it logs each one at debug level at start-up.
std::set<Route> registered_routes(const ServerProcess& server) {
  std::set<Route> out;
  std::ifstream in(server.log_file());
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("message", "") == "route") {
      out.insert({j.at("method").get<std::string>(), j.at("path").get<std::string>()});
    }
  }
  return out;
}

std::string describe(const std::set<Route>& routes) {
  std::string s;
  for (const auto& [m, p] : routes) s += "  " + m + " " + p + "\n";
  return s;
}

TEST(OpenApi, DocumentedRoutesAreExactlyTheRoutesTheServerRegisters) {
  ServerProcess server({{"LOG_LEVEL", "debug"}, {"LIVENESS_ENABLED", "false"}});
  ASSERT_TRUE(server.running()) << server.output();
  ASSERT_EQ(server.stop(), 0);  // flushes the log
  std::set<Route> registered = registered_routes(server);
  ASSERT_GT(registered.size(), 10u) << "no route lines in the log";
  auto web = web_files();
  std::set<Route> api;
  for (const auto& r : registered) {
    if (!is_static_file_route(r, web)) api.insert(r);
  }
  std::set<Route> documented = documented_routes(repository_document());

  std::set<Route> undocumented;
  for (const auto& r : api) {
    if (!documented.count(r)) undocumented.insert(r);
  }
  std::set<Route> not_served;
  for (const auto& r : documented) {
    if (!api.count(r)) not_served.insert(r);
  }
  EXPECT_TRUE(undocumented.empty()) << "registered but not in openapi.json:\n"
                                    << describe(undocumented);
  EXPECT_TRUE(not_served.empty()) << "in openapi.json but not registered:\n"
                                  << describe(not_served);
  // The rule above must not hide the pages themselves.
  EXPECT_TRUE(registered.count({"GET", "/docs"}));
  EXPECT_TRUE(registered.count({"GET", "/docs/swagger-ui-bundle.js"}));
}

TEST(OpenApi, ServedDocumentIsTheRepositoryDocument) {
  ServerProcess server;
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient client(server.base_url());
  auto res = client.get("/openapi.json");
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.header("content-type"), "application/json");
  EXPECT_EQ(res.json(), repository_document());
  EXPECT_EQ(res.json().value("openapi", ""), "3.1.0");
}

// Follows "#/components/..." references of response objects.
const nlohmann::json& resolve(const nlohmann::json& doc, const nlohmann::json& node) {
  if (!node.contains("$ref")) return node;
  std::string ref = node["$ref"].get<std::string>();
  return doc.at(nlohmann::json::json_pointer(ref.substr(1)));
}

TEST(OpenApi, EveryListedErrorCodeMapsToItsResponseStatus) {
  auto doc = nlohmann::json::parse(api::openapi_document());
  int checked = 0;
  for (const auto& [path, item] : doc.at("paths").items()) {
    for (const auto& [method, op] : item.items()) {
      for (const auto& [status, response] : op.at("responses").items()) {
        const auto& r = resolve(doc, response);
        if (!r.contains("content")) continue;
        const auto& media = r["content"].begin().value();
        if (media["schema"].value("$ref", "") != "#/components/schemas/Error") continue;
        ASSERT_TRUE(media.contains("x-error-codes")) << method << " " << path << " " << status;
        for (const auto& code : media["x-error-codes"]) {
          int mapped = api::http_status_for(code.get<std::string>());
          if (code == "internal_error") mapped = 500;  // the fallback for unknown codes
          EXPECT_EQ(std::to_string(mapped), status) << method << " " << path << ": " << code;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 100);
}

RunResult run(const std::string& command) { return run_shell(command); }

const std::string kValidator = kSource + "/node_modules/.bin/validate-api";

TEST(OpenApi, DocumentPassesTheOpenApi31Validator) {
  ASSERT_TRUE(fs::exists(kValidator)) << "run scripts/setup.sh (npm ci)";
  auto r = run(kValidator + " " + kSource + "/src/api/docs/openapi.json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"valid\": true"), std::string::npos) << r.output;
}

TEST(OpenApi, ValidatorRejectsABrokenDocument) {
  auto doc = repository_document();
  doc["paths"]["/health"]["get"]["responses"]["200"].erase("description");  // required
  doc["components"]["securitySchemes"]["bearerAuth"]["type"] = "token";     // not a type
  TempDir dir;
  write_file(dir.file("broken.json"), doc.dump());
  auto r = run(kValidator + " " + dir.file("broken.json"));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"valid\": false"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace faceid::testing
