// Static files a browser loads (the sign-in page in web/, the API docs assets): every file
// under a folder is read once at start-up and registered as its own GET route, so a request
// path can never reach outside the folder and no disk access happens per request.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "http/router.h"

namespace faceid::api {

struct StaticMount {
  std::string url_prefix;  // "/" or "/docs": files appear under it, index.html also at it
  std::string dir;         // folder on disk, read recursively at start-up
  // Sent with every file of the mount (pages need their own CSP; empty: none).
  std::string content_security_policy;
  std::string cache_control = "no-cache";
  // Paths relative to `dir` to serve; empty: every file. Lets a mount take a few files of a
  // package folder (e.g. swagger-ui-dist) without its demo page or Node entry points.
  std::vector<std::string> only_files = {};
};

// Registers the files as routes. Errors: "static_files_unavailable" when `dir` is missing.
Status add_static_routes(http::Router& router, const StaticMount& mount);

// Content type for a file name by its extension ("application/octet-stream" if unknown).
std::string content_type_for(const std::string& file_name);

}  // namespace faceid::api
