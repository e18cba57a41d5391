// The strict request-head gate: each smuggling and malformed-framing form is refused.
#include "http/header_block.h"

#include <gtest/gtest.h>

namespace faceid::http {
namespace {

using Kind = HeaderBlockScan::Kind;

HeaderBlockScan scan(const std::string& head) { return scan_header_block(head, 16384); }

TEST(HeaderBlockTest, CompleteHeadReportsItsLength) {
  std::string head = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n";
  auto s = scan(head + "abc");
  EXPECT_EQ(s.kind, Kind::kComplete);
  EXPECT_EQ(s.length, head.size());
}

TEST(HeaderBlockTest, PartialHeadNeedsMore) {
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nHost: x\r\n").kind, Kind::kNeedMore);
  EXPECT_EQ(scan("GET / HTTP/1.1\r").kind, Kind::kNeedMore);
  EXPECT_EQ(scan("").kind, Kind::kNeedMore);
}

TEST(HeaderBlockTest, ContentLengthWithTransferEncodingIsRefusedInEitherOrder) {
  EXPECT_EQ(scan("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n")
                .kind,
            Kind::kInvalid);
  EXPECT_EQ(scan("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                 "Content-Length: 4\r\n\r\n")
                .kind,
            Kind::kInvalid);
}

TEST(HeaderBlockTest, RepeatedOrInvalidContentLengthIsRefused) {
  for (const char* fields :
       {"Content-Length: 4\r\nContent-Length: 5\r\n", "Content-Length: 4\r\ncontent-length: 4\r\n",
        "Content-Length: 4, 4\r\n", "Content-Length: -1\r\n", "Content-Length: 0x10\r\n",
        "Content-Length: \r\n", "Content-Length: 1234567890123456789\r\n"}) {
    auto s = scan(std::string("POST / HTTP/1.1\r\nHost: x\r\n") + fields + "\r\n");
    EXPECT_EQ(s.kind, Kind::kInvalid) << fields;
  }
}

TEST(HeaderBlockTest, TransferEncodingOtherThanExactlyChunkedIsRefused) {
  for (const char* te : {"gzip, chunked", "chunked, gzip", "identity", "xchunked"}) {
    auto s =
        scan(std::string("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ") + te + "\r\n\r\n");
    EXPECT_EQ(s.kind, Kind::kInvalid) << te;
  }
  EXPECT_EQ(scan("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n")
                .kind,
            Kind::kInvalid);
  EXPECT_EQ(scan("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n").kind,
            Kind::kComplete);
}

TEST(HeaderBlockTest, ObsoleteLineFoldingIsRefused) {
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n").kind, Kind::kInvalid);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n\ttwo\r\n\r\n").kind, Kind::kInvalid);
}

TEST(HeaderBlockTest, BareCrOrLfIsRefused) {
  EXPECT_EQ(scan("GET / HTTP/1.1\nHost: x\r\n\r\n").kind, Kind::kInvalid);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nHost: x\n\n").kind, Kind::kInvalid);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nHost: x\rX-B: 1\r\n\r\n").kind, Kind::kInvalid);
}

TEST(HeaderBlockTest, MalformedFieldsAreRefused) {
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nHost : x\r\n\r\n").kind, Kind::kInvalid);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n").kind, Kind::kInvalid);
  EXPECT_EQ(scan(std::string("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01") + "b\r\n\r\n").kind,
            Kind::kInvalid);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n").kind, Kind::kInvalid);
}

TEST(HeaderBlockTest, OversizeHeadIsTooLarge) {
  std::string head = "GET / HTTP/1.1\r\nX-Big: " + std::string(100, 'a');
  EXPECT_EQ(scan_header_block(head, 64).kind, Kind::kTooLarge);
}

}  // namespace
}  // namespace faceid::http
