// The code -> status table. Unknown codes are internal errors: never leak their message.
#include "api/error_mapping.h"

#include <map>
#include <optional>
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
      {"registration_refused", 400},
      {"unsupported_image", 415},
      {"unsupported_media_type", 415},
      {"image_too_large", 413},
      {"payload_too_large", 413},
      {"authentication_failed", 401},
      {"liveness_failed", 401},
      {"challenge_required", 400},
      {"identifier_required", 400},
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
      {"reauthentication_required", 401},
      {"forbidden", 403},
      {"not_found", 404},
      {"method_not_allowed", 405},
      {"face_already_registered", 409},
      {"too_many_templates", 409},
      {"face_mismatch", 400},
      {"rate_limited", 429},
      {"too_many_attempts", 429},
      {"service_unavailable", 503},
      {"store_unavailable", 503},
      {"rate_limiter_unavailable", 503},
      {"models_unavailable", 503},
      {"server_busy", 503},
  };
  auto it = kStatus.find(code);
  return it == kStatus.end() ? 500 : it->second;
}

std::optional<std::string_view> public_message_for(std::string_view code) {
  // Codes whose messages come from libraries or name the failed check: clients get one fixed
  // text per code (documented in docs/security.md); the detail goes to the log.
  static const std::map<std::string, std::string, std::less<>> kFixed = {
      {"invalid_token", "Invalid or revoked token"},
      {"token_expired", "Token expired"},
      {"invalid_image", "The image could not be decoded"},
      {"unsupported_image", "Unsupported image format: send JPEG, PNG or WebP"},
      {"image_too_large", "The image is too large"},
  };
  auto it = kFixed.find(code);
  if (it == kFixed.end()) return std::nullopt;
  return it->second;
}

http::Response error_for(const Error& error, const http::Request& request) {
  int status = http_status_for(error.code);
  if (status == 500) {
    request.internal_error = error.code + ": " + error.message;
    return http::error_response(500, "internal_error", "Internal server error", {},
                                request.correlation_id);
  }
  if (status == 503 && error.code != "models_unavailable" && error.code != "server_busy") {
    // A backend outage (database, Redis) reaches clients as one stable code; which backend
    // and why go to the log and /ready, not to the caller.
    request.internal_error = error.code + ": " + error.message;
    return http::error_response(503, "service_unavailable",
                                "Service temporarily unavailable; try again shortly", {},
                                request.correlation_id);
  }
  http::Response res;
  if (auto fixed = public_message_for(error.code)) {
    if (error.message != *fixed) request.internal_error = error.message;
    res = http::error_response(status, error.code, std::string(*fixed), {}, request.correlation_id);
  } else {
    res = http::error_response(status, error, request.correlation_id);
  }
  if (error.retry_after_seconds > 0) {
    res.set_header("Retry-After", std::to_string(error.retry_after_seconds));
  }
  return res;
}

}  // namespace faceid::api
