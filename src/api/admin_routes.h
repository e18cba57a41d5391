// /api/v1/admin/*: failed attempts, suspicious activity, a metrics summary, unlocking.
// Every route needs an access token of an active admin (403 otherwise).
#pragma once

#include "api/api_context.h"
#include "http/router.h"

namespace faceid::api {

void add_admin_routes(http::Router& router, const ApiContext& ctx);

}  // namespace faceid::api
