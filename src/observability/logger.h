// Structured JSON logging: one JSON object per line to stdout and a rotating file.
// Callers pass fields explicitly (correlation id included); nothing here reads global state.
// Thread-safe: spdlog's _mt sinks serialise writes.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

namespace spdlog {
class logger;
}

namespace faceid::observability {

using FieldValue = std::variant<std::string, long long, double, bool>;
using Fields = std::vector<std::pair<std::string, FieldValue>>;

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

struct LoggerOptions {
  std::string level = "info";
  std::string file;  // empty: stdout only
  bool to_stdout = true;
  std::size_t max_file_bytes = 10 << 20;
  std::size_t max_files = 5;
  std::chrono::milliseconds flush_interval{1000};  // buffered lines reach the file this often
  // Audit lines (a field "audit": true) also go here, whatever the level, flushed at once. Only
  // audit events reach this file, so a flood of requests cannot rotate them away. Empty: none.
  std::string audit_file;
  std::size_t audit_max_file_bytes = 10 << 20;
  std::size_t audit_max_files = 20;
};

// The audit log beside a log file ("logs/app.log" -> "logs/audit.log"); empty for empty.
std::string audit_file_beside(const std::string& log_file);

class Logger {
 public:
  // Fails (returns nullptr and fills *error) when the log file cannot be opened.
  static std::shared_ptr<Logger> create(const LoggerOptions& options, std::string* error);
  // A logger that drops everything (tests, CLI commands).
  static std::shared_ptr<Logger> null();

  void log(LogLevel level, std::string_view message, const Fields& fields = {});
  void debug(std::string_view m, const Fields& f = {}) { log(LogLevel::kDebug, m, f); }
  void info(std::string_view m, const Fields& f = {}) { log(LogLevel::kInfo, m, f); }
  void warn(std::string_view m, const Fields& f = {}) { log(LogLevel::kWarn, m, f); }
  void error(std::string_view m, const Fields& f = {}) { log(LogLevel::kError, m, f); }
  bool enabled(LogLevel level) const;
  void flush();

  explicit Logger(std::shared_ptr<spdlog::logger> impl,
                  std::chrono::milliseconds flush_every = std::chrono::milliseconds(0),
                  std::shared_ptr<spdlog::logger> audit = nullptr);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

 private:
  std::shared_ptr<spdlog::logger> impl_;
  std::shared_ptr<spdlog::logger> audit_;  // null: no audit file
  std::jthread flusher_;  // flushes impl_ every flush_interval; declared last, stops first
};

using LoggerPtr = std::shared_ptr<Logger>;

// Renders one log line (exposed for tests).
std::string format_log_line(std::string_view level, std::string_view message, const Fields& fields);

}  // namespace faceid::observability
