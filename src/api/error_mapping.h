// Maps stable error codes to HTTP statuses, so every layer speaks in codes and only the API
// edge decides the status.
#pragma once

#include <optional>
#include <string_view>

#include "common/result.h"
#include "http/request.h"

namespace faceid::api {

int http_status_for(std::string_view code);

// The fixed client-facing message of codes whose internal messages vary (token checks, image
// decoding); nullopt for codes whose messages are already safe to show.
std::optional<std::string_view> public_message_for(std::string_view code);

// The JSON error response for an Error, with its mapped status.
http::Response error_for(const Error& error, const http::Request& request);

}  // namespace faceid::api
