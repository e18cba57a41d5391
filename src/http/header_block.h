// The strict HTTP/1.1 gate in front of the message parser: scans the raw request head (request
// line and header fields) as bytes arrive and refuses every framing ambiguity a proxy in front
// of us could read differently (request smuggling), before any field is interpreted.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace faceid::http {

struct HeaderBlockScan {
  enum class Kind { kNeedMore, kComplete, kInvalid, kTooLarge };
  Kind kind = Kind::kNeedMore;
  std::size_t length = 0;  // kComplete: bytes of the head, final CRLF CRLF included
  std::string reason;      // kInvalid: what was wrong, for the 400 body
};

// Scans `bytes` (the start of a request) for a complete head of at most `max_bytes`.
// Refused (kInvalid): a bare CR or bare LF, obsolete line folding, control bytes in a field,
// a malformed field name (or whitespace before the colon), repeated or non-numeric
// Content-Length, Transfer-Encoding together with Content-Length, repeated Transfer-Encoding
// or one other than exactly "chunked", and a repeated Host.
HeaderBlockScan scan_header_block(std::string_view bytes, std::size_t max_bytes);

}  // namespace faceid::http
