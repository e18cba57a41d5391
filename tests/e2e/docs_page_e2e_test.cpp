// The /docs page in a real headless Chromium against the real server: see docs_page.mjs for
// the checks (no other origin, no page error, "Try it out" for /health and a photo upload).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>

#include "support/server_process.h"

namespace faceid::testing {
namespace {

TEST(DocsPage, LoadsFromThisOriginOnlyAndTryItOutWorksIncludingUpload) {
  ServerProcess server({{"LIVENESS_ENABLED", "false"}, {"RATE_LIMIT_ENABLED", "false"}});
  ASSERT_TRUE(server.running()) << server.output();
  std::string src = FACEID_SOURCE_DIR;
  std::string cmd = "node " + src + "/tests/e2e/docs_page.mjs " + server.base_url() + " " +
                    FACEID_TESTDATA_DIR + "/faces/obama_1.jpg";
  RunResult r = run_shell(cmd);
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

}  // namespace
}  // namespace faceid::testing
