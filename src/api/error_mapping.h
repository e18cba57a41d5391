// Maps stable error codes to HTTP statuses, so every layer speaks in codes and only the API
// edge decides the status.
#pragma once

#include <string_view>

#include "common/result.h"
#include "http/request.h"

namespace faceid::api {

int http_status_for(std::string_view code);

// The JSON error response for an Error, with its mapped status.
http::Response error_for(const Error& error, const http::Request& request);

}  // namespace faceid::api
