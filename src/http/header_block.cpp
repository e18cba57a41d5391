// Byte-level checks of the request head. Beast's parser tolerates some of these forms (obs-fold,
// "Content-Length: 5, 5", a Transfer-Encoding other than chunked), so they are refused here,
// where the rule is one line each.
#include "http/header_block.h"

#include <algorithm>
#include <cctype>

namespace faceid::http {
namespace {

using Kind = HeaderBlockScan::Kind;

HeaderBlockScan invalid(std::string reason) { return {Kind::kInvalid, 0, std::move(reason)}; }

bool is_tchar(unsigned char c) {
  return std::isalnum(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Framing fields seen so far in one head.
struct Framing {
  int content_length = 0;
  int transfer_encoding = 0;
  int host = 0;
};

// Checks one field line (without its CRLF); empty reason when fine.
std::string check_field(std::string_view line, Framing& f) {
  if (line.front() == ' ' || line.front() == '\t') return "obsolete line folding";
  auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return "malformed header field";
  std::string_view name = line.substr(0, colon);
  if (!std::all_of(name.begin(), name.end(), [](char c) { return is_tchar(c); })) {
    return "malformed header field name";
  }
  std::string_view value = trim(line.substr(colon + 1));
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return "control character in header field";
  }
  if (iequals(name, "content-length")) {
    if (++f.content_length > 1) return "repeated Content-Length";
    if (value.empty() || value.size() > 18 ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return "invalid Content-Length";
    }
  } else if (iequals(name, "transfer-encoding")) {
    if (++f.transfer_encoding > 1) return "repeated Transfer-Encoding";
    if (!iequals(value, "chunked")) return "unsupported Transfer-Encoding";
  } else if (iequals(name, "host")) {
    if (++f.host > 1) return "repeated Host";
  }
  if (f.content_length > 0 && f.transfer_encoding > 0) {
    return "Content-Length together with Transfer-Encoding";
  }
  return {};
}

}  // namespace

HeaderBlockScan scan_header_block(std::string_view bytes, std::size_t max_bytes) {
  Framing framing;
  std::size_t line_start = 0;
  const std::size_t limit = std::min(bytes.size(), max_bytes);
  for (std::size_t i = 0; i < limit; ++i) {
    char c = bytes[i];
    if (c == '\n') return invalid("bare LF in request head");
    if (c == '\0') return invalid("NUL in request head");
    if (c != '\r') continue;
    if (i + 1 >= bytes.size()) return {};  // need the byte after CR
    if (bytes[i + 1] != '\n') return invalid("bare CR in request head");
    std::string_view line = bytes.substr(line_start, i - line_start);
    if (line.empty()) {
      if (line_start == 0) return invalid("empty request line");
      return {Kind::kComplete, i + 2, {}};
    }
    if (line_start > 0) {
      if (std::string reason = check_field(line, framing); !reason.empty()) {
        return invalid(std::move(reason));
      }
    }
    ++i;  // past the LF
    line_start = i + 1;
  }
  if (bytes.size() >= max_bytes) return {Kind::kTooLarge, 0, {}};
  return {};
}

}  // namespace faceid::http
