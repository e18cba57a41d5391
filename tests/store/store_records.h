// Records the store tests build (both backends): unit embeddings from a seed, users and
// templates at a fixed instant.
#pragma once

#include <cmath>
#include <random>
#include <string>

#include "store/records.h"

namespace faceid::store::testing {

inline const TimePoint kNow = TimePoint(std::chrono::seconds(1'800'000'000));

// A unit-length embedding; the same seed gives the same vector.
inline Vector128 vec(float seed) {
  Vector128 v{};
  std::mt19937 rng(static_cast<unsigned>(seed * 1000));
  std::normal_distribution<float> d;
  float n = 0;
  for (auto& x : v) {
    x = d(rng);
    n += x * x;
  }
  for (auto& x : v) x /= std::sqrt(n);
  return v;
}

inline User user(const std::string& id, const std::string& name) {
  User u;
  u.id = id;
  u.username = name;
  u.email = name + "@example.com";
  u.password_hash = "$argon2id$fake";
  u.created_at = u.updated_at = kNow;
  return u;
}

inline FaceTemplate tmpl(const Vector128& v, const std::string& model = "dlib-resnet-v1") {
  FaceTemplate t;
  t.embedding = v;
  t.model_version = model;
  t.quality = 0.9;
  t.created_at = kNow;
  return t;
}

}  // namespace faceid::store::testing
