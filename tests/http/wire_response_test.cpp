// Response bytes and the server's own error responses.
#include "http/wire_response.h"

#include <gtest/gtest.h>

namespace faceid::http {
namespace {

TEST(WireResponseTest, StatusLineLengthHeadersAndConnection) {
  Response res;
  res.body = "{}";
  res.set_header("X-A", "1");
  std::string wire = to_wire(res, true, true);
  EXPECT_EQ(wire,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nX-A: 1\r\n"
            "Connection: keep-alive\r\n\r\n{}");
  std::string head = to_wire(res, false, false);
  EXPECT_NE(head.find("Content-Length: 2\r\n"), std::string::npos);
  EXPECT_NE(head.find("Connection: close\r\n\r\n"), std::string::npos);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");  // HEAD: no body
}

TEST(WireResponseTest, NoContentHasNoLengthAndNoBody) {
  Response res;
  res.status = 204;
  res.body = "ignored";
  std::string wire = to_wire(res, true, true);
  EXPECT_EQ(wire.find("Content-Length"), std::string::npos);
  EXPECT_EQ(wire.find("ignored"), std::string::npos);
}

TEST(WireResponseTest, EdgeErrorsCarryTheShapeSecurityHeadersAndCorrelationId) {
  Response res = edge_error(408, "request_timeout", "late", "cid-1");
  EXPECT_EQ(res.status, 408);
  EXPECT_NE(res.body.find("\"code\":\"request_timeout\""), std::string::npos);
  EXPECT_NE(res.body.find("\"correlation_id\":\"cid-1\""), std::string::npos);
  ASSERT_NE(res.find_header("X-Content-Type-Options"), nullptr);
  EXPECT_EQ(*res.find_header("X-Request-ID"), "cid-1");
  EXPECT_EQ(*res.find_header("X-Frame-Options"), "DENY");
}

}  // namespace
}  // namespace faceid::http
