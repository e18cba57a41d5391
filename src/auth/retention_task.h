// RetentionTask: a background thread that purges failed-attempt records older than
// FAILED_ATTEMPT_RETENTION_DAYS, once at start and then every `interval`. Stops promptly.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "observability/logger.h"
#include "store/store.h"

namespace faceid::auth {

class RetentionTask {
 public:
  RetentionTask(store::Store& store, const Clock& clock, std::chrono::hours retention,
                std::chrono::seconds interval, observability::LoggerPtr logger);
  ~RetentionTask();  // stops and joins
  RetentionTask(const RetentionTask&) = delete;
  RetentionTask& operator=(const RetentionTask&) = delete;

  // One purge now; returns rows removed (also used by tests).
  Result<std::int64_t> run_once();

 private:
  void loop(const std::stop_token& stop);

  store::Store& store_;
  const Clock& clock_;
  std::chrono::hours retention_;
  std::chrono::seconds interval_;
  observability::LoggerPtr logger_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::jthread thread_;  // last: starts after every member above exists
};

}  // namespace faceid::auth
