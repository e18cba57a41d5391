// Static files: read once, one route per file.
#include "api/static_routes.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

namespace faceid::api {
namespace fs = std::filesystem;

std::string content_type_for(const std::string& file_name) {
  static const std::map<std::string, std::string, std::less<>> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
  };
  auto it = kTypes.find(fs::path(file_name).extension().string());
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

namespace {

std::string join_url(const std::string& prefix, const std::string& rel) {
  std::string base = prefix;
  if (base.empty() || base.back() != '/') base += '/';
  return base + rel;
}

http::Handler file_handler(const std::shared_ptr<const http::Response>& file) {
  return [file](http::Request&) { return *file; };
}

}  // namespace

Status add_static_routes(http::Router& router, const StaticMount& mount) {
  std::error_code ec;
  if (!fs::is_directory(mount.dir, ec)) {
    return make_error("static_files_unavailable", "static folder not found: " + mount.dir);
  }
  fs::path base(mount.dir);
  if (!base.has_filename()) base = base.parent_path();  // "web/" -> "web"
  for (const auto& entry : fs::recursive_directory_iterator(base, ec)) {
    if (!entry.is_regular_file()) continue;
    // Lexical, not fs::relative: that resolves symlinks, and a symlinked file (as in a
    // Kubernetes ConfigMap or a linked package folder) would land outside the prefix.
    std::string rel = entry.path().lexically_relative(base).generic_string();
    if (!mount.only_files.empty() && std::find(mount.only_files.begin(), mount.only_files.end(),
                                               rel) == mount.only_files.end()) {
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    auto res = std::make_shared<http::Response>();
    res->content_type = content_type_for(rel);
    res->body = content.str();
    res->set_header("Cache-Control", mount.cache_control);
    if (!mount.content_security_policy.empty()) {
      res->set_header("Content-Security-Policy", mount.content_security_policy);
    }
    router.get(join_url(mount.url_prefix, rel), file_handler(res));
    if (rel == "index.html") {
      router.get(mount.url_prefix, file_handler(res));
    }
  }
  if (ec) return make_error("static_files_unavailable", "cannot read " + mount.dir);
  return {};
}

}  // namespace faceid::api
