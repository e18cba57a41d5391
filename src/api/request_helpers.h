// Small helpers the handlers share: client info, form and JSON fields, bearer tokens, and the
// JSON shapes of users and times.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/api_context.h"
#include "auth/face_evidence.h"
#include "http/request.h"

namespace faceid::api {

auth::ClientInfo client_of(const http::Request& req);

// Requires a multipart/form-data body (else unsupported_media_type).
Status require_multipart(const http::Request& req);
// A form field's value, or nullopt when absent.
std::optional<std::string> form_value(const http::Request& req, const char* name);

// The face a form presents: "face_image", or "challenge_id" plus repeated "frames" parts.
// The views point into `req`, which must outlive the result.
auth::FaceEvidence face_evidence(const http::Request& req);

// A string field from a JSON body or a form body. Errors: invalid_body (malformed JSON),
// validation_error when the field is missing.
Result<std::string> body_field(const http::Request& req, const char* name);

// The account behind "Authorization: Bearer <access token>". Errors: not_authenticated,
// invalid_token, token_expired.
Result<store::User> authenticate(const http::Request& req, const ApiContext& ctx);
// How recent a sign-in (face, or face and password) must be for what a stolen access token
// must not do alone: erase the account, export the face template.
inline constexpr std::chrono::seconds kRecentAuthentication{5 * 60};
// Same as authenticate, and the token's session must have signed in within
// kRecentAuthentication (refreshes do not count). Errors: authenticate's, and
// reauthentication_required.
Result<store::User> authenticate_recent(const http::Request& req, const ApiContext& ctx);
// Same, and the account must be an active admin (else forbidden).
Result<store::User> authenticate_admin(const http::Request& req, const ApiContext& ctx);

std::string iso_time(TimePoint t);
nlohmann::json optional_time(const std::optional<TimePoint>& t);
// {id, username, email, created_at, is_active}: the Python service's public user shape.
nlohmann::json public_user(const store::User& u);
// public_user plus account state, for the account owner and admins.
nlohmann::json full_user(const store::User& u, TimePoint now);
// A failed-attempt record as admins and the account's export see it.
nlohmann::json attempt_json(const store::LoginAttempt& a);

}  // namespace faceid::api
