// POST /api/v1/liveness/challenges: issues an active liveness challenge to the caller's IP.
#pragma once

#include "api/api_context.h"
#include "http/router.h"

namespace faceid::api {

// Registers the route. `ctx` must outlive the router.
void add_liveness_routes(http::Router& router, const ApiContext& ctx);

}  // namespace faceid::api
