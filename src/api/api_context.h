// Everything the API handlers call into. Owned by `faceid serve`, outliving the router.
#pragma once

#include "auth/account_service.h"
#include "auth/face_auth_service.h"
#include "auth/session_service.h"
#include "config/config.h"
#include "ratelimit/rate_limiter.h"

namespace faceid::api {

struct ApiContext {
  const config::Config& config;
  auth::AuthContext& auth;
  auth::AccountService& accounts;
  auth::FaceAuthService& face_auth;
  auth::SessionService& sessions;
  ratelimit::RateLimiter& limiter;
};

}  // namespace faceid::api
