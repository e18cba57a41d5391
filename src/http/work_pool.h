// WorkPool: the bounded pool that runs request handlers off the I/O threads. A fixed number of
// threads (sized to the cores: face work is CPU-bound) and a bounded queue; try_submit refuses
// at once when the queue is full, so the caller answers 503 instead of letting latency grow.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace faceid::http {

class WorkPool {
 public:
  WorkPool(int threads, std::size_t queue_capacity);
  ~WorkPool();  // runs what is queued, then joins
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Queues `task`; false (and `task` dropped) when the queue already holds queue_capacity.
  bool try_submit(std::function<void()> task);
  // Runs the tasks already queued, then joins the threads. Idempotent.
  void stop();

  std::size_t queued() const;

 private:
  void run();

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;  // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace faceid::http
