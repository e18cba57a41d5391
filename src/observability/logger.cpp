// JSON lines on top of spdlog: we render the JSON ourselves and give spdlog the finished line,
// so every sink gets the identical object and no field is formatted twice.
#include "observability/logger.h"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stop_token>

namespace faceid::observability {
namespace {

spdlog::level::level_enum to_spdlog(LogLevel l) {
  switch (l) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kCritical:
      return spdlog::level::critical;
    case LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

std::string_view level_name(LogLevel l) {
  switch (l) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warning";
    case LogLevel::kError:
      return "error";
    case LogLevel::kCritical:
      return "critical";
    case LogLevel::kOff:
      return "off";
  }
  return "info";
}

std::string utc_timestamp() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>(ms.count()));
  return buf;
}

}  // namespace

std::string format_log_line(std::string_view level, std::string_view message,
                            const Fields& fields) {
  nlohmann::ordered_json j;
  j["timestamp"] = utc_timestamp();
  j["level"] = level;
  j["message"] = message;
  for (const auto& [key, value] : fields) {
    std::visit([&, &k = key](const auto& v) { j[k] = v; }, value);
  }
  // Replace invalid UTF-8 rather than throw: log lines may quote untrusted input.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string audit_file_beside(const std::string& log_file) {
  if (log_file.empty()) return "";
  return (std::filesystem::path(log_file).parent_path() / "audit.log").string();
}

Logger::Logger(std::shared_ptr<spdlog::logger> impl, std::chrono::milliseconds flush_every,
               std::shared_ptr<spdlog::logger> audit)
    : impl_(std::move(impl)), audit_(std::move(audit)) {
  if (flush_every.count() <= 0) return;
  // Log shippers and `tail -f` must see request lines within a second, and a crash may lose
  // at most that second; flushing every line would cost a write syscall per request.
  flusher_ = std::jthread([this, flush_every](const std::stop_token& stop) {
    std::mutex mu;
    std::condition_variable_any wake;
    std::unique_lock lock(mu);
    while (!stop.stop_requested()) {
      wake.wait_for(lock, stop, flush_every, [] { return false; });
      impl_->flush();
    }
  });
}

Logger::~Logger() = default;  // jthread requests stop and joins

std::shared_ptr<Logger> Logger::create(const LoggerOptions& options, std::string* error) {
  std::vector<spdlog::sink_ptr> sinks;
  if (options.to_stdout) sinks.push_back(std::make_shared<spdlog::sinks::stdout_sink_mt>());
  if (!options.file.empty()) {
    try {
      auto parent = std::filesystem::path(options.file).parent_path();
      if (!parent.empty()) std::filesystem::create_directories(parent);
      sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          options.file, options.max_file_bytes, options.max_files));
    } catch (const std::exception& e) {
      if (error) *error = std::string("LOG_FILE: cannot open ") + options.file + ": " + e.what();
      return nullptr;
    }
  }
  std::shared_ptr<spdlog::logger> audit;
  if (!options.audit_file.empty()) {
    try {
      audit = std::make_shared<spdlog::logger>(
          "faceid-audit",
          std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
              options.audit_file, options.audit_max_file_bytes, options.audit_max_files));
    } catch (const std::exception& e) {
      if (error) *error = "cannot open the audit log " + options.audit_file + ": " + e.what();
      return nullptr;
    }
    audit->set_pattern("%v");
    audit->set_level(spdlog::level::trace);
    audit->flush_on(spdlog::level::trace);  // rare, and must survive a crash
  }
  auto impl = std::make_shared<spdlog::logger>("faceid", sinks.begin(), sinks.end());
  impl->set_pattern("%v");
  auto lvl = spdlog::level::from_str(options.level == "warning" ? "warn" : options.level);
  impl->set_level(lvl);
  impl->flush_on(spdlog::level::warn);
  return std::make_shared<Logger>(std::move(impl), options.flush_interval, std::move(audit));
}

std::shared_ptr<Logger> Logger::null() {
  auto impl =
      std::make_shared<spdlog::logger>("null", std::make_shared<spdlog::sinks::null_sink_mt>());
  impl->set_level(spdlog::level::off);
  return std::make_shared<Logger>(std::move(impl));
}

bool Logger::enabled(LogLevel level) const { return impl_->should_log(to_spdlog(level)); }

void Logger::log(LogLevel level, std::string_view message, const Fields& fields) {
  bool audit = audit_ && std::any_of(fields.begin(), fields.end(), [](const auto& f) {
                 return f.first == "audit" && f.second == FieldValue(true);
               });
  if (!audit && !enabled(level)) return;
  std::string line = format_log_line(level_name(level), message, fields);
  if (audit) audit_->info("{}", line);
  if (enabled(level)) impl_->log(to_spdlog(level), "{}", line);
}

void Logger::flush() { impl_->flush(); }

}  // namespace faceid::observability
