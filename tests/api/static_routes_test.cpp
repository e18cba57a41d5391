// Static routes: files become routes read at start-up; nothing outside the folder is reachable.
#include "api/static_routes.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.h"

namespace faceid::api {
namespace {

http::Response get(const http::Router& router, const std::string& path) {
  http::Request req;
  req.method = "GET";
  req.path = path;
  return router.handle(req);
}

TEST(StaticRoutes, ServesFilesWithTypesAndIndexAtPrefix) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "site/js");
  std::ofstream(dir.path() / "site/index.html") << "<h1>hi</h1>";
  std::ofstream(dir.path() / "site/js/app.js") << "let x = 1;";
  std::ofstream(dir.path() / "secret.txt") << "outside";
  http::Router router;
  ASSERT_TRUE(
      add_static_routes(router, {"/", (dir.path() / "site").string(), "default-src 'none'"}));

  auto index = get(router, "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<h1>hi</h1>");
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  ASSERT_NE(index.find_header("Content-Security-Policy"), nullptr);
  EXPECT_EQ(*index.find_header("Content-Security-Policy"), "default-src 'none'");
  EXPECT_EQ(get(router, "/index.html").body, "<h1>hi</h1>");

  auto js = get(router, "/js/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");

  EXPECT_EQ(get(router, "/../secret.txt").status, 404);
  EXPECT_EQ(get(router, "/js/../../secret.txt").status, 404);
  EXPECT_EQ(get(router, "/missing.js").status, 404);
}

TEST(StaticRoutes, MountsUnderAPrefix) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "index.html") << "docs";
  std::ofstream(dir.path() / "ui.css") << "body{}";
  http::Router router;
  ASSERT_TRUE(add_static_routes(router, {"/docs", dir.path().string(), ""}));
  EXPECT_EQ(get(router, "/docs").body, "docs");
  EXPECT_EQ(get(router, "/docs/ui.css").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(get(router, "/ui.css").status, 404);
}

TEST(StaticRoutes, MissingFolderIsAnError) {
  http::Router router;
  Status s = add_static_routes(router, {"/", "/nonexistent/faceid-web", ""});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "static_files_unavailable");
}

TEST(StaticRoutes, ServesSymlinkedFilesAndFoldersGivenWithATrailingSlash) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "pkg");
  std::filesystem::create_directories(dir.path() / "site");
  std::ofstream(dir.path() / "pkg/ui.js") << "ui";
  std::ofstream(dir.path() / "pkg/demo.html") << "demo";
  std::filesystem::create_symlink(dir.path() / "pkg/ui.js", dir.path() / "site/ui.js");
  std::filesystem::create_symlink(dir.path() / "pkg/demo.html", dir.path() / "site/demo.html");
  http::Router router;
  ASSERT_TRUE(add_static_routes(router, {.url_prefix = "/docs",
                                         .dir = (dir.path() / "site").string() + "/",
                                         .only_files = {"ui.js"}}));
  EXPECT_EQ(get(router, "/docs/ui.js").body, "ui");
  EXPECT_EQ(get(router, "/docs/demo.html").status, 404);  // not in only_files
}

}  // namespace
}  // namespace faceid::api
