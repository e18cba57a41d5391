// The code -> status table. Unknown codes are internal errors: never leak their message.
#include "api/error_mapping.h"

#include <map>
#include <string>

#include "http/error_response.h"

namespace faceid::api {

int http_status_for(std::string_view code) {
  static const std::map<std::string, int, std::less<>> kStatus = {
      {"validation_error", 422},
      {"invalid_body", 400},
      {"invalid_image", 400},
      {"no_face_detected", 400},
      {"multiple_faces", 400},
      {"poor_image_quality", 400},
      {"user_exists", 400},
      {"unsupported_image", 415},
      {"unsupported_media_type", 415},
      {"image_too_large", 413},
      {"payload_too_large", 413},
      {"authentication_failed", 401},
      {"liveness_failed", 401},
      {"challenge_required", 400},
      {"challenge_invalid", 400},
      {"challenge_expired", 400},
      {"challenge_reused", 400},
      {"action_missing", 401},
      {"action_unexpected", 401},
      {"identity_changed", 401},
      {"not_3d", 401},
      {"challenge_store_unavailable", 503},
      {"invalid_token", 401},
      {"token_expired", 401},
      {"not_authenticated", 401},
      {"forbidden", 403},
      {"not_found", 404},
      {"method_not_allowed", 405},
      {"face_already_registered", 409},
      {"too_many_templates", 409},
      {"face_mismatch", 400},
      {"rate_limited", 429},
      {"service_unavailable", 503},
      {"store_unavailable", 503},
      {"rate_limiter_unavailable", 503},
      {"models_unavailable", 503},
  };
  auto it = kStatus.find(code);
  return it == kStatus.end() ? 500 : it->second;
}

http::Response error_for(const Error& error, const http::Request& request) {
  int status = http_status_for(error.code);
  if (status == 500) {
    return http::error_response(500, "internal_error", "Internal server error", {},
                                request.correlation_id);
  }
  return http::error_response(status, error, request.correlation_id);
}

}  // namespace faceid::api
