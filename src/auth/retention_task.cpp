// Periodic purge of old failed-attempt records.
#include "auth/retention_task.h"

namespace faceid::auth {

RetentionTask::RetentionTask(store::Store& store, const Clock& clock, std::chrono::hours retention,
                             std::chrono::seconds interval, observability::LoggerPtr logger)
    : store_(store),
      clock_(clock),
      retention_(retention),
      interval_(interval),
      logger_(std::move(logger)),
      thread_([this](const std::stop_token& st) { loop(st); }) {}

RetentionTask::~RetentionTask() {
  thread_.request_stop();
  cv_.notify_all();
}

Result<std::int64_t> RetentionTask::run_once() {
  auto removed = store_.purge_failed_attempts(clock_.now() - retention_);
  if (!removed) {
    logger_->error("retention purge failed", {{"error", removed.error().message}});
  } else if (*removed > 0) {
    logger_->info("retention purge",
                  {{"removed_failed_attempts", static_cast<long long>(*removed)}});
  }
  return removed;
}

void RetentionTask::loop(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    run_once();
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, stop, interval_, [] { return false; });
  }
}

}  // namespace faceid::auth
