// WorkPool implementation: one mutex, one condition variable, a deque.
#include "http/work_pool.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

namespace faceid::http {
namespace {
constexpr int kHandlerNice = 2;  // a 1.6:1 CPU share for the I/O threads when both run
}  // namespace

WorkPool::WorkPool(int threads, std::size_t queue_capacity) : capacity_(queue_capacity) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { run(); });
}

WorkPool::~WorkPool() { stop(); }

bool WorkPool::try_submit(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= capacity_) return false;
    queue_.push_back(std::move(task));
  }
  ready_.notify_one();
  return true;
}

void WorkPool::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

std::size_t WorkPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void WorkPool::run() {
  // Handlers yield the CPU to the I/O threads: under a flood of face work, sockets are still
  // accepted, read and answered (health checks, 503s) without waiting for a time slice.
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kHandlerNice);
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace faceid::http
