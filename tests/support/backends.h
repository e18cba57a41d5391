// Test access to real PostgreSQL and Redis servers started by scripts/test-backends.sh: the
// shared pair the CTest fixture "faceid_backends" starts once per run, or a private pair a
// fault test may crash and restart. Each test server gets its own database and Redis
// logical database, so tests running in parallel never see each other's rows or counters.
#pragma once

#include <memory>
#include <string>

#include "support/temp_dir.h"

namespace faceid::redis {
class RedisClient;
}

namespace faceid::testing {

// A client for `url` that retries quickly (20-200 ms backoff), for outage tests.
std::unique_ptr<redis::RedisClient> quick_redis_client(const std::string& url);

// True when this test process runs the suite against PostgreSQL + Redis
// (FACEID_TEST_BACKEND=postgres, set by CTest on the "pg:" copies of the e2e tests).
bool postgres_backend_selected();

// A started PostgreSQL + Redis pair (fields from the script's env file).
class Backends {
 public:
  // The shared pair of this test run; fails the test (never skips) when it is not running.
  static const Backends& shared();
  // Starts a private pair in a temp dir (stopped by the destructor).
  static std::unique_ptr<Backends> start_private();
  ~Backends();

  // A new empty database on the PostgreSQL server.
  std::string fresh_database_url() const;
  // A Redis URL naming a logical database no other test server uses.
  std::string fresh_redis_url() const;
  // Runs SQL against `database_url` and returns the first column of the first row ("" if
  // none).
  static std::string query(const std::string& database_url, const std::string& sql);

  // Fault injection (private pairs only): crash and restart on the same port.
  void kill_postgres() const;
  void start_postgres() const;
  void kill_redis() const;
  void start_redis() const;

  std::string admin_url;  // postgresql://faceid@127.0.0.1:PORT/postgres
  int pg_port = 0;
  int redis_port = 0;

 private:
  Backends() = default;
  void script(const std::string& command) const;
  static Backends load(const std::string& dir);

  std::string dir_;
  bool owned_ = false;
};

}  // namespace faceid::testing
