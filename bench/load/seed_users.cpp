// bench_seed_users DATA_DIR COUNT: inserts COUNT synthetic accounts (random unit embeddings,
// one template each, far from any real face) into DATA_DIR/faceid.db, so the login load test
// searches an index of realistic size. Real faces are registered through the API.
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "auth/password_hasher.h"
#include "auth/token_service.h"
#include "store/sqlite_store.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DATA_DIR COUNT\n", argv[0]);
    return 2;
  }
  auto store = faceid::store::SqliteStore::open(std::string(argv[1]) + "/faceid.db");
  if (!store || !(*store)->migrate()) {
    std::fprintf(stderr, "cannot open store\n");
    return 1;
  }
  const int count = std::stoi(argv[2]);
  auto hash = faceid::auth::hash_password("synthetic-account-password");
  std::mt19937 rng(42);
  std::normal_distribution<float> normal;
  faceid::SystemClock clock;
  for (int i = 0; i < count; ++i) {
    faceid::store::User u;
    u.id = faceid::auth::TokenService::new_token_id();
    u.username = "synthetic_" + std::to_string(i);
    u.email = u.username + "@bench.invalid";
    u.password_hash = *hash;
    u.created_at = u.updated_at = clock.now();
    faceid::store::FaceTemplate t;
    float norm = 0;
    for (auto& x : t.embedding) {
      x = normal(rng);
      norm += x * x;
    }
    for (auto& x : t.embedding) x /= std::sqrt(norm);
    t.model_version = "dlib-resnet-v1";
    t.quality = 1.0;
    t.created_at = u.created_at;
    if (!(*store)->create_user(u, t)) {
      std::fprintf(stderr, "insert %d failed\n", i);
      return 1;
    }
  }
  std::printf("seeded %d accounts\n", count);
  return 0;
}
