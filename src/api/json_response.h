// JSON success responses.
#pragma once

#include <nlohmann/json.hpp>

#include "http/request.h"

namespace faceid::api {

inline http::Response json_response(int status, const nlohmann::json& body) {
  http::Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

}  // namespace faceid::api
