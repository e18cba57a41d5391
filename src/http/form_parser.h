// Form bodies: multipart/form-data (RFC 7578) and application/x-www-form-urlencoded, parsed
// from a body already held in memory (its size is bounded by MAX_UPLOAD_MB before reading).
// Pure functions of their input, so they are unit-tested and fuzzed without a socket.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "http/request.h"

namespace faceid::http {

// Most fields one form may hold (a liveness sign-in sends a few dozen frames).
inline constexpr std::size_t kMaxFormFields = 64;

// True when the content type is one of the two form encodings.
bool is_form_content_type(std::string_view content_type);

// Fields in body order; repeated names are kept as separate fields. Error code
// "invalid_form" for a missing boundary, a malformed part or more than max_fields parts.
Result<std::vector<FormField>> parse_form(std::string_view content_type, std::string_view body,
                                          std::size_t max_fields = kMaxFormFields);

// "%41+b" -> "A b" (query strings and urlencoded forms).
std::string url_decode(std::string_view s);

}  // namespace faceid::http
