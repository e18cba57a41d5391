// Pure rules for account fields and match scores: what a valid username, email and password
// are, and how a face distance becomes the confidence_score clients see.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace faceid::auth {

inline constexpr std::size_t kMinUsername = 3;
inline constexpr std::size_t kMaxUsername = 50;
inline constexpr std::size_t kMinPassword = 8;
inline constexpr std::size_t kMaxPassword = 128;  // Argon2 input bound; refuses absurd bodies
inline constexpr std::size_t kMaxEmail = 254;     // RFC 5321 path limit

// Each returns "" when valid, else a human message for the validation_error details.
std::string check_username(std::string_view username);
std::string check_email(std::string_view email);
std::string check_password(std::string_view password, std::string_view username);

// Emails are compared and stored lower-cased and trimmed.
std::string normalize_email(std::string_view email);

// confidence = clamp(1 - distance / (2 * tolerance), 0, 1): 1.0 for identical embeddings,
// 0.5 exactly at the match threshold, 0 at twice the threshold. Monotonic in distance.
double confidence_from_distance(double distance, double tolerance);

}  // namespace faceid::auth
