// A fixed set of per-thread model bundles (detector, embedder, liveness scorer: none is
// thread-safe) lent to one request at a time. acquire() blocks while all are in use.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

namespace faceid::face {

template <typename T>
class WorkerPool {
 public:
  // Returns the item to the pool when destroyed.
  class Lease {
   public:
    Lease(WorkerPool* pool, std::unique_ptr<T> item) : pool_(pool), item_(std::move(item)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (item_) pool_->release(std::move(item_));
    }
    T& operator*() { return *item_; }
    T* operator->() { return item_.get(); }

   private:
    WorkerPool* pool_;
    std::unique_ptr<T> item_;
  };

  explicit WorkerPool(std::vector<std::unique_ptr<T>> items) : idle_(std::move(items)) {}

  Lease acquire() {
    std::unique_lock lock(mu_);
    available_.wait(lock, [&] { return !idle_.empty(); });
    auto item = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(item));
  }

 private:
  void release(std::unique_ptr<T> item) {
    {
      std::lock_guard lock(mu_);
      idle_.push_back(std::move(item));
    }
    available_.notify_one();
  }

  std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<T>> idle_;  // guarded by mu_
};

}  // namespace faceid::face
