// libFuzzer target for the bytes a client controls before any handler runs: the multipart and
// urlencoded form parsers and the strict request-head scanner (src/http). The first byte picks
// the parser; the rest is its input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/form_parser.h"
#include "http/header_block.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto form = faceid::http::parse_form("multipart/form-data; boundary=XyZ", in, 8);
      if (form) {
        std::size_t total = 0;
        for (const auto& f : *form) total += f.name.size() + f.filename.size() + f.value.size();
        if (total > in.size()) std::abort();  // fields are slices of the body
      }
      break;
    }
    case 1:
      (void)faceid::http::parse_form("application/x-www-form-urlencoded", in, 8);
      break;
    default: {
      auto scan = faceid::http::scan_header_block(in, 4096);
      using Kind = faceid::http::HeaderBlockScan::Kind;
      if (scan.kind == Kind::kComplete &&
          (scan.length > in.size() || in.substr(scan.length - 4, 4) != "\r\n\r\n")) {
        std::abort();  // a complete head ends with CRLF CRLF inside the input
      }
      break;
    }
  }
  return 0;
}
