// Reading the backends' env file, creating per-test databases, fault injection.
#include "support/backends.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>
#include <random>
#include <sstream>
#include <stdexcept>

#include "redis/redis_client.h"

namespace faceid::testing {

std::unique_ptr<redis::RedisClient> quick_redis_client(const std::string& url) {
  auto parsed = redis::parse_redis_url(url);
  EXPECT_TRUE(parsed.ok()) << url;
  redis::RedisOptions o;
  o.min_backoff = std::chrono::milliseconds(20);
  o.max_backoff = std::chrono::milliseconds(200);
  return std::make_unique<redis::RedisClient>(parsed.ok() ? *parsed : redis::RedisUrl{}, o);
}
namespace {

std::string random_suffix() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  std::ostringstream s;
  s << getpid() << "_" << counter++ << "_" << (rd() % 1000000);
  return s.str();
}

}  // namespace

bool postgres_backend_selected() {
  const char* b = std::getenv("FACEID_TEST_BACKEND");
  return b != nullptr && std::string(b) == "postgres";
}

Backends Backends::load(const std::string& dir) {
  Backends b;
  b.dir_ = dir;
  std::ifstream f(dir + "/env");
  std::string line;
  while (std::getline(f, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = line.substr(0, eq), v = line.substr(eq + 1);
    if (k == "FACEID_TEST_PG_URL") b.admin_url = v;
    if (k == "FACEID_TEST_PG_PORT") b.pg_port = std::stoi(v);
    if (k == "FACEID_TEST_REDIS_PORT") b.redis_port = std::stoi(v);
  }
  return b;
}

const Backends& Backends::shared() {
  static const Backends kShared = load(FACEID_TEST_BACKENDS_DIR);
  if (kShared.admin_url.empty() || kShared.redis_port == 0) {
    ADD_FAILURE() << "the test PostgreSQL/Redis are not running: run the suite with ctest "
                     "(fixture faceid_backends) or `make test`";
    throw std::runtime_error("test backends missing");
  }
  return kShared;
}

std::unique_ptr<Backends> Backends::start_private() {
  TempDir parent;  // only to get a unique name; the script owns the directory itself
  std::string dir = parent.path().string() + "-backends";
  std::string cmd =
      std::string(FACEID_SOURCE_DIR) + "/scripts/test-backends.sh start " + dir + " >/dev/null";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot start private backends");
  auto b = std::unique_ptr<Backends>(new Backends(load(dir)));
  b->owned_ = true;
  return b;
}

Backends::~Backends() {
  if (owned_) script("stop");
}

void Backends::script(const std::string& command) const {
  std::string cmd =
      std::string(FACEID_SOURCE_DIR) + "/scripts/test-backends.sh " + command + " " + dir_;
  if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << "test-backends.sh " << command << " failed";
}

void Backends::kill_postgres() const { script("kill-postgres"); }
void Backends::start_postgres() const { script("start-postgres"); }
void Backends::kill_redis() const { script("kill-redis"); }
void Backends::start_redis() const { script("start-redis"); }

std::string Backends::fresh_database_url() const {
  std::string name = "faceid_test_" + random_suffix();
  pqxx::connection c(admin_url);
  pqxx::nontransaction n(c);
  n.exec("CREATE DATABASE " + name);
  return "postgresql://faceid@127.0.0.1:" + std::to_string(pg_port) + "/" + name;
}

std::string Backends::fresh_redis_url() const {
  // Logical database 0 holds the counter; the server was started with 4096 databases.
  redis::RedisUrl url;
  url.port = redis_port;
  redis::RedisClient client(url, {});
  auto n = client.command({"INCR", "faceid-test:next-db"});
  if (!n) throw std::runtime_error("redis: " + n.error().message);
  url.db = static_cast<int>(1 + (n->integer - 1) % 4095);
  redis::RedisClient in_db(url, {});
  in_db.command({"FLUSHDB"});  // counters may wrap round onto a used database
  return "redis://127.0.0.1:" + std::to_string(redis_port) + "/" + std::to_string(url.db);
}

std::string Backends::query(const std::string& database_url, const std::string& sql) {
  pqxx::connection c(database_url);
  pqxx::nontransaction n(c);
  auto r = n.exec(sql);
  if (r.empty() || r[0].empty() || r[0][0].is_null()) return "";
  return r[0][0].as<std::string>();
}

}  // namespace faceid::testing
