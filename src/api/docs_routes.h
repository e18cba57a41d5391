// The API's own description: the OpenAPI 3.1 document at /openapi.json and the interactive
// docs page at /docs (Swagger UI from swagger-ui-dist, served by this service alone).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "http/router.h"

namespace faceid::api {

// The OpenAPI document (src/api/docs/openapi.json, compiled into the binary).
std::string_view openapi_document();

// The files of swagger-ui-dist the page uses; the rest of the package (its petstore demo page,
// Node entry points, source maps) is not served.
const std::vector<std::string>& swagger_ui_files();

// Registers /openapi.json, /docs (page and start-up script) and the Swagger UI files from
// `swagger_ui_dir`. Errors: static_files_unavailable when those files are missing; the
// document and the page are registered anyway.
Status add_docs_routes(http::Router& router, const std::string& swagger_ui_dir);

}  // namespace faceid::api
