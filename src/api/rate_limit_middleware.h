// Per-client-IP rate limits by route group: register, login (login + verify), challenge
// (liveness challenges, at the login rate) and default
// (every other /api route). Over the limit: 429 rate_limited with Retry-After, a metric, and
// for sign-in routes a rate_limit attempt record. A limiter that cannot answer fails closed.
#pragma once

#include "api/api_context.h"
#include "http/router.h"

namespace faceid::api {

// The route group a request counts against ("" for unlimited routes such as /health).
std::string rate_limit_group(const std::string& method, const std::string& path);

http::Middleware rate_limit_middleware(const ApiContext& ctx);

}  // namespace faceid::api
