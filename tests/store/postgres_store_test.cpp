// PostgresStore against a real PostgreSQL 15 + pgvector (the faceid_backends fixture): the
// Store contract the SQLite tests check, plus what only a shared database must guarantee:
// migrations once under concurrent start-up, duplicate faces and token rotations arbitrated
// across connections, filtered HNSW search, and recovery after a server restart.
#include "store/postgres_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <thread>

#include "store/migrations.h"
#include "store_records.h"
#include "support/backends.h"

namespace faceid::store {
namespace {

using faceid::testing::Backends;
using std::chrono::hours;
using std::chrono::minutes;

using faceid::store::testing::kNow;
using faceid::store::testing::tmpl;
using faceid::store::testing::user;
using faceid::store::testing::vec;

std::unique_ptr<PostgresStore> open_store(const std::string& url, PostgresOptions o = {}) {
  o.url = url;
  if (o.model_version.empty()) o.model_version = "dlib-resnet-v1";
  auto s = PostgresStore::open(o);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return std::move(*s);
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = Backends::shared().fresh_database_url();
    PostgresOptions o;
    o.duplicate_tolerance = 0.6;
    store_ = open_store(url_, o);
    auto applied = store_->migrate();
    ASSERT_TRUE(applied.ok()) << applied.error().message;
  }
  std::string url_;
  std::unique_ptr<PostgresStore> store_;
};

TEST_F(PostgresStoreTest, FreshDatabaseReachesLatestSchemaAndRerunAppliesNothing) {
  EXPECT_EQ(store_->backend(), "postgres");
  EXPECT_EQ(*store_->schema_version(), migrations_for("postgresql").back().version);
  EXPECT_EQ(*store_->migrate(), 0);
  EXPECT_TRUE(store_->ping().ok());
}

TEST(PostgresMigrationTest, ConcurrentStartsApplyEachMigrationExactlyOnce) {
  std::string url = Backends::shared().fresh_database_url();
  constexpr int kReplicas = 4;
  std::vector<std::unique_ptr<PostgresStore>> stores;
  for (int i = 0; i < kReplicas; ++i) stores.push_back(open_store(url));
  std::vector<int> applied(kReplicas, -1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      auto r = stores[i]->migrate();
      applied[i] = r ? *r : -100;
    });
  }
  for (auto& t : threads) t.join();
  int total = 0;
  for (int a : applied) {
    EXPECT_GE(a, 0);
    total += a;
  }
  const auto n = static_cast<int>(migrations_for("postgresql").size());
  EXPECT_EQ(total, n);
  EXPECT_EQ(Backends::query(url, "SELECT count(*) FROM schema_migrations"), std::to_string(n));
}

TEST_F(PostgresStoreTest, CreateUserStoresUserAndTemplateTogetherExactly) {
  auto u = user("u1", "alice");
  u.locked_until = kNow + minutes(3);
  ASSERT_TRUE(store_->create_user(u, tmpl(vec(1))).ok());
  auto found = store_->find_user_by_username("alice");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, "u1");
  EXPECT_EQ((*found)->email, "alice@example.com");
  EXPECT_EQ((*found)->created_at, kNow);
  EXPECT_EQ((*found)->locked_until, kNow + minutes(3));
  EXPECT_FALSE((*found)->last_login_at.has_value());
  auto ts = store_->templates_for_user("u1");
  ASSERT_EQ(ts->size(), 1u);
  EXPECT_EQ(ts->front().embedding, vec(1));  // float32 round trip is exact
  EXPECT_EQ(ts->front().model_version, "dlib-resnet-v1");
}

TEST_F(PostgresStoreTest, LookAlikeUsernamesAreTaken) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  int n = 2;
  for (const char* alike : {"aIice", "alice.", "al1ce", "a_lice", "ALICE-"}) {
    auto r = store_->create_user(user("u" + std::to_string(n), alike), tmpl(vec(n)));
    ++n;
    ASSERT_FALSE(r.ok()) << alike;
    EXPECT_EQ(r.error().code, "user_exists") << alike;
    EXPECT_EQ(r.error().details, std::vector<std::string>{"username"}) << alike;
  }
  EXPECT_TRUE(store_->create_user(user("u9", "alina"), tmpl(vec(9))).ok());
}

TEST_F(PostgresStoreTest, DuplicateUsernameOrEmailIsUserExistsAndLeavesNothing) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  auto same_name = store_->create_user(user("u2", "alice"), tmpl(vec(2)));
  ASSERT_FALSE(same_name.ok());
  EXPECT_EQ(same_name.error().code, "user_exists");
  auto u3 = user("u3", "bob");
  u3.email = "ALICE@example.com";
  auto same_email = store_->create_user(u3, tmpl(vec(3)));
  ASSERT_FALSE(same_email.ok());
  EXPECT_EQ(same_email.error().details, std::vector<std::string>{"email"});
  EXPECT_FALSE(store_->find_user_by_id("u2")->has_value());
  EXPECT_EQ(store_->summary(kNow)->templates, 1);
}

TEST_F(PostgresStoreTest, SearchSkipsInactiveAccountsAndOtherModelVersions) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  ASSERT_TRUE(store_->create_user(user("u2", "bob"), tmpl(vec(2))).ok());
  auto inactive = user("u3", "carol");
  inactive.is_active = false;
  ASSERT_TRUE(store_->create_user(inactive, tmpl(vec(3))).ok());
  ASSERT_TRUE(store_->create_user(user("u4", "dave"), tmpl(vec(4), "other-model")).ok());

  auto hits = store_->search_faces(vec(2), 5);
  ASSERT_TRUE(hits.ok()) << hits.error().message;
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ(hits->front().user_id, "u2");
  EXPECT_NEAR(hits->front().distance, 0.0f, 1e-5);
  EXPECT_LE(hits->at(0).distance, hits->at(1).distance);
  EXPECT_NEAR(hits->at(1).distance,
              std::sqrt(2 - 2 *
                                [&] {
                                  float dot = 0;
                                  for (int i = 0; i < 128; ++i) dot += vec(1)[i] * vec(2)[i];
                                  return dot;
                                }()),
              1e-4);
  auto near_inactive = store_->search_faces(vec(3), 5);
  ASSERT_TRUE(near_inactive.ok());
  for (const auto& h : *near_inactive) EXPECT_NE(h.user_id, "u3");
  auto near_other_model = store_->search_faces(vec(4), 5);
  ASSERT_TRUE(near_other_model.ok());
  for (const auto& h : *near_other_model) EXPECT_NE(h.user_id, "u4");
}

TEST_F(PostgresStoreTest, SameFaceEnrolledConcurrentlyYieldsOneAccount) {
  // Eight connections race to register near-identical faces under different names; the
  // advisory lock makes the duplicate check and the insert one step.
  constexpr int kRacers = 8;
  std::atomic<int> created{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      Vector128 v = vec(7);
      v[0] += 0.001f * static_cast<float>(i);
      auto r =
          store_->create_user(user("r" + std::to_string(i), "racer" + std::to_string(i)), tmpl(v));
      if (r.ok()) ++created;
      if (!r.ok() && r.error().code == "face_already_registered") ++refused;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(refused.load(), kRacers - 1);
  EXPECT_EQ(store_->summary(kNow)->users, 1);
}

TEST_F(PostgresStoreTest, AddTemplateStopsAtTheLimitAndRefusesAnotherAccountsFace) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  ASSERT_TRUE(store_->create_user(user("u2", "bob"), tmpl(vec(2))).ok());
  auto bobs = tmpl(vec(2));
  bobs.user_id = "u1";
  EXPECT_EQ(store_->add_template(bobs, 5).error().code, "face_already_registered");
  for (int i = 0; i < 4; ++i) {
    auto t = tmpl(vec(1));  // the account's own face again is fine
    t.user_id = "u1";
    ASSERT_TRUE(store_->add_template(t, 5).ok());
  }
  auto t = tmpl(vec(1));
  t.user_id = "u1";
  EXPECT_EQ(store_->add_template(t, 5).error().code, "too_many_templates");
  EXPECT_EQ(store_->templates_for_user("u1")->size(), 5u);
}

TEST_F(PostgresStoreTest, DeleteUserErasesTemplatesTokensAndAttempts) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  RefreshTokenRecord t{"j1", "u1", "f1", "hash", kNow + hours(1), {}, {}, kNow};
  ASSERT_TRUE(store_->insert_refresh_token(t).ok());
  LoginAttempt a;
  a.user_id = "u1";
  a.ip = "1.2.3.4";
  a.reason = "no_match";
  a.created_at = kNow;
  ASSERT_TRUE(store_->record_failed_attempt(a).ok());
  LoginAttempt named = a;
  named.user_id.reset();
  named.username_tried = "alice";
  ASSERT_TRUE(store_->record_failed_attempt(named).ok());
  ASSERT_TRUE(store_->delete_user("u1").ok());
  EXPECT_FALSE(store_->find_user_by_id("u1")->has_value());
  EXPECT_TRUE(store_->templates_for_user("u1")->empty());
  EXPECT_FALSE(store_->find_refresh_token("j1")->has_value());
  EXPECT_TRUE(store_->failed_attempts_since(kNow - hours(1), 10)->empty());
  EXPECT_TRUE(store_->search_faces(vec(1), 5)->empty());
  EXPECT_EQ(store_->delete_user("u1").error().code, "not_found");
}

TEST_F(PostgresStoreTest, ConcurrentRotationOfOneTokenHasOneWinner) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  RefreshTokenRecord first{"j0", "u1", "fam", "h0", kNow + hours(1), {}, {}, kNow};
  ASSERT_TRUE(store_->insert_refresh_token(first).ok());
  constexpr int kRacers = 6;
  std::atomic<int> won{0}, reused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      RefreshTokenRecord next{"n" + std::to_string(i), "u1", "fam", "h",
                              kNow + hours(1),         {},   {},    kNow};
      auto r = store_->rotate_refresh_token("j0", next, kNow);
      if (r.ok() && *r) ++won;
      if (r.ok() && !*r) ++reused;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(reused.load(), kRacers - 1);
  ASSERT_TRUE(store_->revoke_token_family("fam", kNow).ok());
  auto old = *store_->find_refresh_token("j0");
  EXPECT_TRUE(old->revoked_at.has_value());
  EXPECT_TRUE((*store_->find_refresh_token(*old->replaced_by))->revoked_at.has_value());
}

TEST_F(PostgresStoreTest, FailureCountsSuspiciousActivityStatsAndPurge) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  for (int i = 0; i < 6; ++i) {
    LoginAttempt a;
    a.user_id = i < 4 ? std::optional<std::string>("u1") : std::nullopt;
    a.ip = "9.9.9.9";
    a.reason = "no_match";
    a.confidence_score = 0.25;
    a.created_at = kNow - minutes(i * 10);
    ASSERT_TRUE(store_->record_failed_attempt(a).ok());
  }
  EXPECT_EQ(store_->account_failures("u1", kNow - minutes(25), 0.75)->total, 3);
  auto sus = store_->suspicious_activity(kNow - hours(2), 5);
  ASSERT_EQ(sus->ips.size(), 1u);
  EXPECT_EQ(sus->ips[0].count, 6);
  EXPECT_TRUE(sus->accounts.empty());
  auto mine = store_->failed_attempts_for_user("u1", 2);
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ(mine->front().created_at, kNow);
  EXPECT_EQ(mine->front().confidence_score, 0.25);
  ASSERT_TRUE(store_->record_login_success("u1", "9.9.9.9", "login", kNow).ok());
  auto stats = store_->login_stats(kNow - hours(1));
  EXPECT_EQ(stats->successes, 1);
  EXPECT_EQ(stats->failures, 6);
  EXPECT_EQ(*store_->purge_failed_attempts(kNow - minutes(25)), 3);
  EXPECT_EQ((*store_->find_user_by_id("u1"))->last_login_at, kNow);
}

TEST_F(PostgresStoreTest, AccountAndClientFailureCountsForTheLockoutPolicy) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  auto fail = [&](std::optional<std::string> uid, std::optional<std::string> tried,
                  const std::string& ip, std::optional<double> distance, TimePoint at) {
    LoginAttempt a;
    a.user_id = std::move(uid);
    a.username_tried = std::move(tried);
    a.ip = ip;
    a.reason = "no_match";
    a.distance = distance;
    a.created_at = at;
    ASSERT_TRUE(store_->record_failed_attempt(a).ok());
  };
  fail("u1", "alice", "1.1.1.1", 0.9, kNow - minutes(5));
  fail("u1", "Alice", "1.1.1.1", 0.7, kNow - minutes(4));
  fail("u1", std::nullopt, "2.2.2.2", 0.65, kNow - minutes(3));  // a 1:N near miss
  fail("u1", "alice", "3.3.3.3", std::nullopt, kNow - minutes(2));
  fail("u1", "alice", "1.1.1.1", 0.5, kNow - hours(3));  // outside the window
  fail(std::nullopt, "ghost", "1.1.1.1", std::nullopt, kNow - minutes(1));

  auto acc = store_->account_failures("u1", kNow - hours(1), 0.75);
  ASSERT_TRUE(acc.ok()) << acc.error().message;
  EXPECT_EQ(acc->total, 4);
  EXPECT_EQ(acc->clients, 3);
  EXPECT_EQ(acc->close, 2);

  auto by_name = store_->client_failures(std::nullopt, "ALICE", "1.1.1.1", kNow - hours(1));
  ASSERT_TRUE(by_name.ok()) << by_name.error().message;
  EXPECT_EQ(by_name->count, 2);
  EXPECT_EQ(by_name->last_at, kNow - minutes(4));
  EXPECT_EQ(store_->client_failures("u1", "alice", "2.2.2.2", kNow - hours(1))->count, 1);
  EXPECT_EQ(store_->client_failures(std::nullopt, "ghost", "1.1.1.1", kNow - hours(1))->count, 1);
  auto none = store_->client_failures(std::nullopt, "bob", "1.1.1.1", kNow - hours(1));
  EXPECT_EQ(none->count, 0);
  EXPECT_FALSE(none->last_at.has_value());
  auto listed = store_->failed_attempts_for_user("u1", 1);
  EXPECT_EQ(listed->front().distance, std::nullopt);  // the newest one had no distance
}

TEST_F(PostgresStoreTest, UsernamesAreUniqueAndFoundWhateverTheirCase) {
  ASSERT_TRUE(store_->create_user(user("u1", "Alice"), tmpl(vec(1))).ok());
  auto clash = store_->create_user(user("u2", "aLICE"), tmpl(vec(2)));
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().code, "user_exists");
  auto found = store_->find_user_by_username("ALICE");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, "u1");
  EXPECT_EQ((*found)->username, "Alice");
}

TEST_F(PostgresStoreTest, RevokedSessionsAreListedForTheRevocationSet) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  for (const char* fam : {"old", "recent", "live"}) {
    RefreshTokenRecord r{std::string("j-") + fam, "u1",         fam,          "hash",
                         kNow + hours(1),         std::nullopt, std::nullopt, kNow};
    ASSERT_TRUE(store_->insert_refresh_token(r).ok());
  }
  ASSERT_TRUE(store_->revoke_token_family("old", kNow - hours(2)).ok());
  ASSERT_TRUE(store_->revoke_token_family("recent", kNow - minutes(10)).ok());
  auto ended = store_->revoked_sessions_since(kNow - minutes(30));
  ASSERT_TRUE(ended.ok()) << ended.error().message;
  ASSERT_EQ(ended->size(), 1u);
  EXPECT_EQ(ended->front().family_id, "recent");
  EXPECT_EQ(ended->front().revoked_at, kNow - minutes(10));
}

TEST(PostgresMigrationTest, CaseInsensitiveUsernamesRefuseExistingCollisionsClearly) {
  std::string url = Backends::shared().fresh_database_url();
  // A database at schema 1 holding "Alice" and "alice".
  Backends::query(url, std::string("CREATE TABLE schema_migrations (version integer PRIMARY "
                                   "KEY, name text NOT NULL, applied_at timestamptz NOT NULL "
                                   "DEFAULT now());") +
                           migrations_for("postgresql").front().sql +
                           "INSERT INTO schema_migrations(version, name) VALUES(1, 'initial');"
                           "INSERT INTO users(id,username,email,password_hash,created_at,"
                           "updated_at) VALUES('a','Alice','a@x.org','h',now(),now()),"
                           "('b','alice','b@x.org','h',now(),now()); SELECT 1");
  auto store = open_store(url);
  auto migrated = store->migrate();
  ASSERT_FALSE(migrated.ok());
  EXPECT_EQ(migrated.error().code, "migration_refused");
  for (const char* name : {"Alice", "alice"}) {
    EXPECT_NE(migrated.error().message.find(name), std::string::npos) << migrated.error().message;
  }
  EXPECT_EQ(*store->schema_version(), 1);
}

TEST_F(PostgresStoreTest, LockAndUnlockKeepTheUnlockInstant) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  ASSERT_TRUE(store_->set_lock("u1", kNow + minutes(30), kNow).ok());
  EXPECT_EQ(store_->summary(kNow)->locked_users, 1);
  ASSERT_TRUE(store_->set_lock("u1", std::nullopt, kNow + minutes(1)).ok());
  auto u = *store_->find_user_by_id("u1");
  EXPECT_FALSE(u->is_locked);
  EXPECT_EQ(u->locked_until, kNow + minutes(1));
  EXPECT_EQ(store_->set_lock("nobody", std::nullopt, kNow).error().code, "not_found");
  EXPECT_TRUE(store_->set_admin("u1", true, kNow).ok());
  EXPECT_TRUE((*store_->find_user_by_id("u1"))->is_admin);
}

TEST(PostgresRecallTest, ClusteredTemplatesFindTheirIdentityFirst) {
  // 600 identities x 3 noisy templates (face-like clusters); each probe is a fresh noisy
  // view of an identity. Exact search would find all of them; HNSW at the default ef_search
  // must find at least 99 %.
  std::string url = Backends::shared().fresh_database_url();
  auto store = open_store(url);
  ASSERT_TRUE(store->migrate().ok());
  constexpr int kIds = 600;
  std::mt19937 rng(42);
  std::normal_distribution<float> noise(0.0f, 0.03f);
  auto noisy = [&](const Vector128& c) {
    Vector128 v = c;
    float n = 0;
    for (auto& x : v) {
      x += noise(rng);
      n += x * x;
    }
    for (auto& x : v) x /= std::sqrt(n);
    return v;
  };
  std::vector<Vector128> centres;
  for (int i = 0; i < kIds; ++i) {
    centres.push_back(vec(1000.0f + static_cast<float>(i)));
    std::string id = "id" + std::to_string(i);
    ASSERT_TRUE(
        store->create_user(user(id, "user" + std::to_string(i)), tmpl(noisy(centres[i]))).ok());
    for (int k = 0; k < 2; ++k) {
      auto t = tmpl(noisy(centres[i]));
      t.user_id = id;
      ASSERT_TRUE(store->add_template(t, 5).ok());
    }
  }
  int right = 0;
  for (int i = 0; i < kIds; ++i) {
    auto hits = store->search_faces(noisy(centres[i]), 5);
    ASSERT_TRUE(hits.ok());
    if (!hits->empty() && hits->front().user_id == "id" + std::to_string(i)) ++right;
  }
  EXPECT_GE(right, kIds * 99 / 100);
  // The plan really uses the HNSW index (not a sequential scan that hides recall issues).
  std::string plan = Backends::query(
      url,
      "EXPLAIN (FORMAT JSON) SELECT t.id FROM face_templates t JOIN users u ON u.id = t.user_id "
      "WHERE u.is_active ORDER BY t.embedding <-> (SELECT embedding FROM face_templates "
      "LIMIT 1) LIMIT 5");
  EXPECT_NE(plan.find("face_templates_embedding_hnsw"), std::string::npos) << plan;
}

TEST(PostgresOutageTest, RequestsFailAsUnavailableWhileDownAndRecoverWithoutReopen) {
  auto backends = Backends::start_private();
  std::string url = backends->fresh_database_url();
  PostgresOptions o;
  o.pool_size = 3;
  auto store = open_store(url, o);
  ASSERT_TRUE(store->migrate().ok());
  ASSERT_TRUE(store->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  // Warm every pooled connection so all of them are stale after the restart.
  std::vector<std::thread> warm;
  for (int i = 0; i < 3; ++i) warm.emplace_back([&] { store->find_user_by_id("u1"); });
  for (auto& t : warm) t.join();

  backends->kill_postgres();
  auto down = store->find_user_by_id("u1");
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, "store_unavailable");
  EXPECT_EQ(store->ping().error().code, "store_unavailable");
  auto refused = store->create_user(user("u2", "bob"), tmpl(vec(2)));
  EXPECT_EQ(refused.error().code, "store_unavailable");

  backends->start_postgres();
  for (int i = 0; i < 6; ++i) {  // more calls than connections: each stale one is replaced
    auto up = store->find_user_by_id("u1");
    ASSERT_TRUE(up.ok()) << up.error().message;
    EXPECT_TRUE(up->has_value());
  }
  EXPECT_TRUE(store->ping().ok());
  EXPECT_FALSE(store->find_user_by_id("u2")->has_value());  // the refused write left nothing
}

}  // namespace
}  // namespace faceid::store
