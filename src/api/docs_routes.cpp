// /openapi.json and /docs. The document and the page are compiled in (see embed_files.cmake);
// only swagger-ui-dist's files come from disk, once, at start-up.
#include "api/docs_routes.h"

#include <filesystem>
#include <memory>

#include "api/static_routes.h"

namespace faceid::api {
namespace detail {
std::string_view docs_file(std::string_view name);  // generated
}  // namespace detail

namespace {

// Swagger UI sets inline style attributes and uses data: images in its CSS; everything else
// comes from this origin. "Try it out" calls go to this origin only.
constexpr const char* kDocsCsp =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

http::Handler embedded(std::string_view name, std::string content_type, bool page) {
  auto res = std::make_shared<http::Response>();
  res->content_type = std::move(content_type);
  res->body = std::string(detail::docs_file(name));
  res->set_header("Cache-Control", "no-cache");
  if (page) res->set_header("Content-Security-Policy", kDocsCsp);
  return [res](http::Request&) { return *res; };
}

}  // namespace

std::string_view openapi_document() { return detail::docs_file("openapi.json"); }

const std::vector<std::string>& swagger_ui_files() {
  static const std::vector<std::string> kFiles = {"swagger-ui-bundle.js", "swagger-ui.css",
                                                  "favicon-32x32.png", "favicon-16x16.png"};
  return kFiles;
}

Status add_docs_routes(http::Router& router, const std::string& swagger_ui_dir) {
  router.get("/openapi.json", embedded("openapi.json", "application/json", false));
  auto page = embedded("index.html", "text/html; charset=utf-8", true);
  router.get("/docs", page);
  router.get("/docs/index.html", page);
  router.get("/docs/docs.js", embedded("docs.js", "text/javascript; charset=utf-8", true));
  for (const auto& f : swagger_ui_files()) {
    auto path = std::filesystem::path(swagger_ui_dir) / f;
    if (!std::filesystem::is_regular_file(path)) {
      return make_error("static_files_unavailable",
                        "swagger-ui-dist file missing: " + path.string());
    }
  }
  return add_static_routes(router, {.url_prefix = "/docs",
                                    .dir = swagger_ui_dir,
                                    .content_security_policy = kDocsCsp,
                                    .only_files = swagger_ui_files()});
}

}  // namespace faceid::api
