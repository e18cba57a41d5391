// Multipart and urlencoded form parsing: order, repeated names, files, and refusals.
#include "http/form_parser.h"

#include <gtest/gtest.h>

namespace faceid::http {
namespace {

const std::string kType = "multipart/form-data; boundary=XyZ";

std::string part(const std::string& name, const std::string& value,
                 const std::string& filename = "") {
  std::string disposition = "Content-Disposition: form-data; name=\"" + name + "\"";
  if (!filename.empty()) disposition += "; filename=\"" + filename + "\"";
  return "--XyZ\r\n" + disposition + "\r\nContent-Type: application/octet-stream\r\n\r\n" + value +
         "\r\n";
}

TEST(FormParserTest, MultipartKeepsOrderRepeatedNamesAndBinaryValues) {
  std::string binary("a\r\nb\0c--XyZ", 11);
  std::string body = "preamble\r\n" + part("username", "ann") + part("frames", "one", "f1.jpg") +
                     part("frames", binary, "f2.jpg") + "--XyZ--\r\nepilogue";
  auto form = parse_form(kType, body);
  ASSERT_TRUE(form.ok()) << form.error().message;
  ASSERT_EQ(form->size(), 3u);
  EXPECT_EQ((*form)[0].name, "username");
  EXPECT_EQ((*form)[0].value, "ann");
  EXPECT_EQ((*form)[1].name, "frames");
  EXPECT_EQ((*form)[1].filename, "f1.jpg");
  EXPECT_EQ((*form)[2].name, "frames");
  EXPECT_EQ((*form)[2].value, binary);
}

TEST(FormParserTest, QuotedBoundaryAndEmptyValue) {
  std::string body = part("a", "") + "--XyZ--";
  auto form = parse_form("multipart/form-data; boundary=\"XyZ\"", body);
  ASSERT_TRUE(form.ok());
  ASSERT_EQ(form->size(), 1u);
  EXPECT_EQ((*form)[0].value, "");
}

TEST(FormParserTest, MalformedMultipartIsInvalidForm) {
  for (const std::string& body :
       {std::string("no boundary here"), part("a", "1"),                       // unterminated
        std::string("--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--"),  // no name
        std::string("--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--XyZ--"),
        std::string("--XyZ\r\n\r\nx\r\n--XyZ--")}) {
    auto form = parse_form(kType, body);
    ASSERT_FALSE(form.ok()) << body;
    EXPECT_EQ(form.error().code, "invalid_form");
  }
  EXPECT_FALSE(parse_form("multipart/form-data", part("a", "1") + "--XyZ--").ok());
}

TEST(FormParserTest, TooManyFieldsIsInvalidForm) {
  std::string body;
  for (int i = 0; i < 5; ++i) body += part("f", "x");
  body += "--XyZ--";
  EXPECT_TRUE(parse_form(kType, body, 5).ok());
  EXPECT_FALSE(parse_form(kType, body, 4).ok());
}

TEST(FormParserTest, UrlencodedDecodesPairsInOrder) {
  auto form = parse_form("application/x-www-form-urlencoded", "a=1&b=x+y%21&a=2&flag");
  ASSERT_TRUE(form.ok());
  ASSERT_EQ(form->size(), 4u);
  EXPECT_EQ((*form)[1].value, "x y!");
  EXPECT_EQ((*form)[2].name, "a");
  EXPECT_EQ((*form)[3].name, "flag");
  EXPECT_EQ((*form)[3].value, "");
}

TEST(FormParserTest, RecognisesFormContentTypes) {
  EXPECT_TRUE(is_form_content_type("Multipart/Form-Data; boundary=a"));
  EXPECT_TRUE(is_form_content_type("application/x-www-form-urlencoded"));
  EXPECT_FALSE(is_form_content_type("application/json"));
}

}  // namespace
}  // namespace faceid::http
