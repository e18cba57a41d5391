// The one JSON error shape every failure reaching a client uses:
// {"error": {"code", "message", "details", "correlation_id"}}.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "http/request.h"

namespace faceid::http {

Response error_response(int status, const std::string& code, const std::string& message,
                        const std::vector<std::string>& details, const std::string& correlation_id);

inline Response error_response(int status, const Error& e, const std::string& correlation_id) {
  return error_response(status, e.code, e.message, e.details, correlation_id);
}

// Reason phrase for a status ("Not Found").
const char* status_text(int status);

}  // namespace faceid::http
