// bench_seed_users DATA_DIR|DATABASE_URL COUNT: inserts COUNT synthetic accounts (random unit
// embeddings, one template each, far from any real face) into DATA_DIR/faceid.db or, given a
// postgresql:// URL, into that database (migrated first), so the login load test searches an
// index of realistic size. The same seed gives the same accounts in both (bench/replicas.sh).
// Real faces are registered through the API.
// With --bulk (bench/search/startup.sh, 1M accounts) the rows go straight into SQLite in
// large transactions and the index is left to the next start (create_user per account
// updates the index and commits once per account: hours at 1M).
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "auth/password_hasher.h"
#include "auth/token_service.h"
#include "store/postgres_store.h"
#include "store/sqlite_db.h"
#include "store/sqlite_store.h"
#include "store/time_format.h"

int main(int argc, char** argv) {
  const bool bulk = argc == 4 && std::string(argv[3]) == "--bulk";
  if (argc != 3 && !bulk) {
    std::fprintf(stderr, "usage: %s DATA_DIR|DATABASE_URL COUNT [--bulk]\n", argv[0]);
    return 2;
  }
  const bool postgres = faceid::store::is_postgres_url(argv[1]);
  if (postgres && bulk) {
    std::fprintf(stderr, "--bulk is for SQLite only\n");
    return 2;
  }
  const std::string path = std::string(argv[1]) + "/faceid.db";
  faceid::Result<faceid::store::StorePtr> store = faceid::make_error("", "");
  if (postgres) {
    faceid::store::PostgresOptions o;
    o.url = argv[1];
    auto opened = faceid::store::PostgresStore::open(o);
    if (opened) store = faceid::store::StorePtr(std::move(*opened));
  } else {
    auto opened = faceid::store::SqliteStore::open(path);
    if (opened) store = faceid::store::StorePtr(std::move(*opened));
  }
  if (!store || !(*store)->migrate()) {
    std::fprintf(stderr, "cannot open store\n");
    return 1;
  }
  std::unique_ptr<faceid::store::SqliteDb> db;
  std::unique_ptr<faceid::store::SqliteTransaction> tx;
  if (bulk) {
    store->reset();
    auto opened = faceid::store::SqliteDb::open(path);
    if (!opened) return 1;
    db = std::move(*opened);
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
    if (bulk) {
      if (i % 20000 == 0) {
        if (tx && !tx->commit()) return 1;
        tx = std::make_unique<faceid::store::SqliteTransaction>(*db);
      }
      auto user = db->prepare(
          "INSERT INTO users(id, username, email, password_hash, is_active, is_locked, "
          "is_admin, created_at, updated_at) VALUES(?,?,?,?,1,0,0,?,?)");
      auto face = db->prepare(
          "INSERT INTO face_templates(user_id, embedding, model_version, quality, created_at) "
          "VALUES(?,?,?,?,?)");
      if (!user || !face) return 1;
      const std::string now = faceid::store::format_time(u.created_at);
      user->bind(1, u.id).bind(2, u.username).bind(3, u.email).bind(4, u.password_hash);
      user->bind(5, now).bind(6, now);
      face->bind(1, u.id).bind_blob(2, t.embedding.data(), sizeof(t.embedding));
      face->bind(3, t.model_version).bind(4, t.quality).bind(5, now);
      if (!user->run() || !face->run()) {
        std::fprintf(stderr, "insert %d failed\n", i);
        return 1;
      }
      continue;
    }
    if (!(*store)->create_user(u, t)) {
      std::fprintf(stderr, "insert %d failed\n", i);
      return 1;
    }
  }
  if (tx && !tx->commit()) return 1;
  std::printf("seeded %d accounts\n", count);
  return 0;
}
