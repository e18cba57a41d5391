// Correlation ids: accept a caller's X-Request-ID / X-Correlation-ID when it is safe to echo
// and log, otherwise mint a random UUID.
#pragma once

#include <string>
#include <string_view>

namespace faceid::http {

// True for 1-128 characters of [A-Za-z0-9._:-] (no spaces, quotes or control bytes).
bool is_acceptable_correlation_id(std::string_view id);

// Random (version 4) UUID, lower-case, 36 characters.
std::string new_uuid();

// The caller's id when acceptable, else a new UUID.
std::string correlation_id_for(std::string_view request_id_header,
                               std::string_view correlation_id_header);

}  // namespace faceid::http
