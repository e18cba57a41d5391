// Correlation id helpers (libuuid for the random UUIDs).
#include "http/correlation_id.h"

#include <uuid/uuid.h>

namespace faceid::http {

bool is_acceptable_correlation_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == ':';
    if (!ok) return false;
  }
  return true;
}

std::string new_uuid() {
  uuid_t raw;
  uuid_generate_random(raw);
  char text[37];
  uuid_unparse_lower(raw, text);
  return text;
}

std::string correlation_id_for(std::string_view request_id_header,
                               std::string_view correlation_id_header) {
  if (is_acceptable_correlation_id(request_id_header)) return std::string(request_id_header);
  if (is_acceptable_correlation_id(correlation_id_header)) {
    return std::string(correlation_id_header);
  }
  return new_uuid();
}

}  // namespace faceid::http
