// PgPool: slot bookkeeping and (re)connection.
#include "store/postgres/pg_pool.h"

namespace faceid::store {

PgPool::PgPool(std::string url, int size, std::chrono::milliseconds wait, Setup setup)
    : url_(std::move(url)), wait_(wait), setup_(std::move(setup)), slots_(std::max(1, size)) {
  for (int i = static_cast<int>(slots_.size()) - 1; i >= 0; --i) free_.push_back(i);
}

PgPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->release(slot_);
}

PgConnection& PgPool::Lease::get() { return pool_->slots_[slot_]; }

void PgPool::Lease::discard() {
  PgConnection& c = get();
  c.conn.reset();
  c.prepared.clear();
}

void PgPool::release(int slot) {
  {
    std::lock_guard lock(mu_);
    free_.push_back(slot);
  }
  cv_.notify_one();
}

Result<PgPool::Lease> PgPool::acquire() {
  int slot = -1;
  {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, wait_, [&] { return !free_.empty(); })) {
      return make_error("store_unavailable", "all database connections are busy");
    }
    slot = free_.back();
    free_.pop_back();
  }
  Lease lease(this, slot);
  PgConnection& c = lease.get();
  if (c.conn && !c.conn->is_open()) lease.discard();
  if (!c.conn) {
    try {
      auto conn = std::make_unique<pqxx::connection>(url_);
      // We reconnect ourselves (fresh session settings, statements); pqxx 6's implicit
      // reactivation would silently drop the session settings (hnsw.ef_search). Deprecated
      // in 6.4 only because reactivation itself is on its way out.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
      conn->inhibit_reactivation(true);
#pragma GCC diagnostic pop
      setup_(*conn);
      c.conn = std::move(conn);
    } catch (const std::exception& e) {
      lease.discard();
      return make_error("store_unavailable",
                        std::string("cannot connect to PostgreSQL: ") + e.what());
    }
  }
  return lease;
}

}  // namespace faceid::store
