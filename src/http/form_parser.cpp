// Form parsing. The multipart parser walks the body once: boundary lines delimit parts, each
// part's head names it through Content-Disposition; anything ambiguous is refused rather than
// guessed, since these bytes come straight from the network.
#include "http/form_parser.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

namespace faceid::http {
namespace {

constexpr std::size_t kMaxPartHeadBytes = 8192;

Error invalid_form(std::string why) { return make_error("invalid_form", std::move(why)); }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The value of parameter `name` in a header value like `form-data; name="a"; filename=b`.
// Quoted strings may hold ';' and backslash escapes.
std::optional<std::string> header_param(std::string_view value, std::string_view name) {
  std::size_t i = value.find(';');
  while (i != std::string_view::npos && i < value.size()) {
    ++i;
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    std::size_t eq = value.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    std::string key = lower(trim(value.substr(i, eq - i)));
    std::string out;
    std::size_t j = eq + 1;
    if (j < value.size() && value[j] == '"') {
      for (++j; j < value.size() && value[j] != '"'; ++j) {
        if (value[j] == '\\' && j + 1 < value.size()) ++j;
        out += value[j];
      }
      if (j >= value.size()) return std::nullopt;  // unterminated quote
      ++j;
    } else {
      std::size_t end = value.find(';', j);
      out = std::string(trim(value.substr(j, end == std::string_view::npos ? end : end - j)));
      j = end == std::string_view::npos ? value.size() : end;
    }
    if (key == name) return out;
    i = value.find(';', j);
  }
  return std::nullopt;
}

// Parses one part's head (header lines separated by CRLF) into the field's name/filename.
Result<FormField> parse_part_head(std::string_view head) {
  std::optional<FormField> field;
  while (!head.empty()) {
    std::size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return invalid_form("malformed part header");
    if (lower(trim(line.substr(0, colon))) != "content-disposition") continue;
    if (field) return invalid_form("repeated Content-Disposition");
    std::string_view value = trim(line.substr(colon + 1));
    if (lower(value.substr(0, value.find(';'))) != "form-data") {
      return invalid_form("part is not form-data");
    }
    auto name = header_param(value, "name");
    if (!name || name->empty()) return invalid_form("part without a name");
    field = FormField{*name, header_param(value, "filename").value_or(""), ""};
  }
  if (!field) return invalid_form("part without Content-Disposition");
  return *field;
}

Result<std::vector<FormField>> parse_multipart(std::string_view content_type, std::string_view body,
                                               std::size_t max_fields) {
  auto boundary = header_param(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70) {
    return invalid_form("missing or invalid boundary");
  }
  const std::string delimiter = "--" + *boundary;
  // The first delimiter opens the body or follows a preamble.
  std::size_t pos = 0;
  if (body.rfind(delimiter, 0) == 0) {
    pos = delimiter.size();
  } else if (std::size_t at = body.find("\r\n" + delimiter); at != std::string_view::npos) {
    pos = at + 2 + delimiter.size();
  } else {
    return invalid_form("no opening boundary");
  }
  const std::string next_delimiter = "\r\n" + delimiter;
  std::vector<FormField> fields;
  while (true) {
    // After a delimiter: "--" closes the body, CRLF opens a part (transport padding allowed).
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) == "--") return fields;
    if (body.substr(pos, 2) != "\r\n") return invalid_form("malformed boundary line");
    pos += 2;
    if (body.substr(pos, 2) == "\r\n") return invalid_form("part without Content-Disposition");
    std::size_t head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string_view::npos || head_end - pos > kMaxPartHeadBytes) {
      return invalid_form("malformed part head");
    }
    auto field = parse_part_head(body.substr(pos, head_end - pos));
    if (!field) return field.error();
    std::size_t data = head_end + 4;
    std::size_t end = body.find(next_delimiter, data);
    if (end == std::string_view::npos) return invalid_form("unterminated part");
    if (fields.size() >= max_fields) return invalid_form("too many form fields");
    field->value.assign(body.substr(data, end - data));
    fields.push_back(std::move(*field));
    pos = end + next_delimiter.size();
  }
}

Result<std::vector<FormField>> parse_urlencoded(std::string_view body, std::size_t max_fields) {
  std::vector<FormField> fields;
  while (!body.empty()) {
    std::size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body.remove_prefix(amp == std::string_view::npos ? body.size() : amp + 1);
    if (pair.empty()) continue;
    if (fields.size() >= max_fields) return invalid_form("too many form fields");
    std::size_t eq = pair.find('=');
    fields.push_back(
        FormField{url_decode(pair.substr(0, eq)), "",
                  eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1))});
  }
  return fields;
}

}  // namespace

bool is_form_content_type(std::string_view content_type) {
  std::string ct = lower(trim(content_type.substr(0, content_type.find(';'))));
  return ct == "multipart/form-data" || ct == "application/x-www-form-urlencoded";
}

Result<std::vector<FormField>> parse_form(std::string_view content_type, std::string_view body,
                                          std::size_t max_fields) {
  std::string ct = lower(trim(content_type.substr(0, content_type.find(';'))));
  if (ct == "multipart/form-data") return parse_multipart(content_type, body, max_fields);
  if (ct == "application/x-www-form-urlencoded") return parse_urlencoded(body, max_fields);
  return invalid_form("not a form content type");
}

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace faceid::http
