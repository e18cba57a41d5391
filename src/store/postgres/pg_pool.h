// PgPool: a fixed number of libpqxx connections shared by request threads. Private to the
// PostgreSQL store (this header pulls in pqxx; nothing above store/ includes it).
// A slot's connection is made on first use and again after it broke (server restart), so
// the service recovers without a restart. Thread-safety: acquire() and the Lease it returns
// may be used from any thread; one Lease is used by one thread at a time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace faceid::store {

// A pooled connection plus what has been prepared on it beyond the fixed set.
struct PgConnection {
  std::unique_ptr<pqxx::connection> conn;
  std::set<std::string> prepared;  // names of lazily prepared statements
};

class PgPool {
 public:
  // Runs on every new connection (SET session options, prepare statements); may throw.
  using Setup = std::function<void(pqxx::connection&)>;

  PgPool(std::string url, int size, std::chrono::milliseconds wait, Setup setup);

  class Lease {
   public:
    Lease(PgPool* pool, int slot) : pool_(pool), slot_(slot) {}
    Lease(Lease&& o) noexcept : pool_(o.pool_), slot_(o.slot_) { o.pool_ = nullptr; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    PgConnection& get();
    // Drops the connection (it broke): the slot reconnects on its next use.
    void discard();

   private:
    PgPool* pool_;
    int slot_;
  };

  // Waits up to `wait` for a free slot and connects it if needed. Errors: store_unavailable.
  Result<Lease> acquire();

 private:
  void release(int slot);

  const std::string url_;
  const std::chrono::milliseconds wait_;
  const Setup setup_;
  std::mutex mu_;  // guards free_
  std::condition_variable cv_;
  std::vector<int> free_;
  std::vector<PgConnection> slots_;  // slot i is touched only by the holder of its Lease
};

}  // namespace faceid::store
