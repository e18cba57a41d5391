// Error values and Result<T>: expected failures travel as values, never as exceptions.
// Error::code is a stable snake_case string that maps 1:1 to the API error codes.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace faceid {

struct Error {
  std::string code;                  // stable, e.g. "no_face_detected"
  std::string message;               // human readable, safe to show a client
  std::vector<std::string> details;  // optional specifics (which field, which check)
  int retry_after_seconds = 0;       // > 0: the client may retry after this (Retry-After)
};

inline Error make_error(std::string code, std::string message,
                        std::vector<std::string> details = {}) {
  return Error{std::move(code), std::move(message), std::move(details), 0};
}

// A value or an Error; a small stand-in for C++23 std::expected.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

// For operations that return nothing but may fail.
class Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  static Status Ok() { return {}; }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace faceid
