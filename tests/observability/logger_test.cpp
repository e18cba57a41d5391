// The log file sees info lines within about a second, without waiting for a warning.
#include "observability/logger.h"

#include <gtest/gtest.h>

#include <thread>

#include "support/temp_dir.h"

namespace faceid::observability {
namespace {

TEST(Logger, InfoLinesReachTheFileWithinASecond) {
  testing::TempDir dir;
  LoggerOptions o;
  o.file = dir.file("logs/app.log");
  o.to_stdout = false;
  std::string error;
  auto logger = Logger::create(o, &error);
  ASSERT_TRUE(logger) << error;
  logger->info("request", {{"path", std::string("/health")}});
  std::string content;
  for (int i = 0; i < 30 && content.find("/health") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    content = testing::read_file(o.file);
  }
  EXPECT_NE(content.find("\"path\":\"/health\""), std::string::npos) << content;
}

TEST(Logger, StopsPromptlyAndKeepsTheLastLines) {
  testing::TempDir dir;
  LoggerOptions o;
  o.file = dir.file("app.log");
  o.to_stdout = false;
  o.flush_interval = std::chrono::hours(1);
  auto started = std::chrono::steady_clock::now();
  {
    auto logger = Logger::create(o, nullptr);
    ASSERT_TRUE(logger);
    logger->info("last words");
  }  // destruction stops the flusher at once and flushes
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  EXPECT_NE(testing::read_file(o.file).find("last words"), std::string::npos);
}

}  // namespace
}  // namespace faceid::observability
