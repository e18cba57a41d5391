// /api/v1/users/me*: the signed-in account: read, delete (GDPR erasure), add a face, export.
#pragma once

#include "api/api_context.h"
#include "http/router.h"

namespace faceid::api {

void add_user_routes(http::Router& router, const ApiContext& ctx);

}  // namespace faceid::api
