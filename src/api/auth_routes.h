// /api/v1/auth/*: register, login (1:N), verify (1:1), refresh, logout.
#pragma once

#include "api/api_context.h"
#include "http/router.h"

namespace faceid::api {

void add_auth_routes(http::Router& router, const ApiContext& ctx);

}  // namespace faceid::api
