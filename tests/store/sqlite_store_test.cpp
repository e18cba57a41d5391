// SqliteStore against a real SQLite file: migrations, atomic registration, cascades,
// refresh-token rotation, attempt records and the in-process index.
#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "store/migrations.h"
#include "store/sqlite_db.h"
#include "store_records.h"
#include "support/temp_dir.h"

namespace faceid::store {
namespace {

using faceid::testing::TempDir;
using std::chrono::hours;
using std::chrono::minutes;

using faceid::store::testing::kNow;
using faceid::store::testing::tmpl;
using faceid::store::testing::user;
using faceid::store::testing::vec;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteStore::open(dir_.file("db/faceid.db"));
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    ASSERT_TRUE(store_->migrate().ok());
  }
  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreTest, FreshDatabaseReachesLatestSchemaAndRerunAppliesNothing) {
  auto latest = migrations_for("sqlite").back().version;
  EXPECT_EQ(*store_->schema_version(), latest);
  EXPECT_EQ(*store_->migrate(), 0);
  store_.reset();
  auto reopened = SqliteStore::open(dir_.file("db/faceid.db"));
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(*(*reopened)->migrate(), 0);
  EXPECT_EQ(*(*reopened)->schema_version(), latest);
}

TEST_F(SqliteStoreTest, CreateUserStoresUserAndTemplateTogether) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  auto found = store_->find_user_by_username("alice");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, "u1");
  EXPECT_EQ((*found)->email, "alice@example.com");
  auto ts = store_->templates_for_user("u1");
  ASSERT_EQ(ts->size(), 1u);
  EXPECT_EQ(ts->front().embedding, vec(1));
  EXPECT_EQ(ts->front().model_version, "dlib-resnet-v1");
}

TEST_F(SqliteStoreTest, LookAlikeUsernamesAreTaken) {
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

TEST_F(SqliteStoreTest, DuplicateUsernameOrEmailIsUserExistsAndLeavesNothing) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  auto same_name = store_->create_user(user("u2", "alice"), tmpl(vec(2)));
  ASSERT_FALSE(same_name.ok());
  EXPECT_EQ(same_name.error().code, "user_exists");
  auto u3 = user("u3", "bob");
  u3.email = "ALICE@example.com";  // emails compare case-insensitively
  auto same_email = store_->create_user(u3, tmpl(vec(3)));
  ASSERT_FALSE(same_email.ok());
  EXPECT_EQ(same_email.error().details, std::vector<std::string>{"email"});
  EXPECT_FALSE(store_->find_user_by_id("u2")->has_value());
  EXPECT_TRUE(store_->templates_for_user("u3")->empty());
  EXPECT_EQ(store_->summary(kNow)->templates, 1);
}

TEST_F(SqliteStoreTest, SearchFindsNearestUserAndSurvivesReopen) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  ASSERT_TRUE(store_->create_user(user("u2", "bob"), tmpl(vec(2))).ok());
  auto hits = store_->search_faces(vec(2), 5);
  ASSERT_TRUE(hits.ok());
  ASSERT_FALSE(hits->empty());
  EXPECT_EQ(hits->front().user_id, "u2");
  EXPECT_NEAR(hits->front().distance, 0.0f, 1e-5);
  store_.reset();
  auto reopened = SqliteStore::open(dir_.file("db/faceid.db"));
  auto again = (*reopened)->search_faces(vec(1), 1);
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ(again->front().user_id, "u1");
}

TEST_F(SqliteStoreTest, FaceIndexIsSavedOnCloseAndLoadedOnReopenInsteadOfRebuilt) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  ASSERT_TRUE(store_->create_user(user("u2", "bob"), tmpl(vec(2))).ok());
  const std::string manifest = dir_.file("db/faceid.db.index/manifest.bin");
  EXPECT_FALSE(std::filesystem::exists(manifest));  // changed since the start-up save
  store_.reset();
  ASSERT_TRUE(std::filesystem::exists(manifest));
  const auto saved_at =
      std::filesystem::last_write_time(dir_.file("db/faceid.db.index/graph.hnsw"));
  auto reopened = SqliteStore::open(dir_.file("db/faceid.db"));
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(std::filesystem::last_write_time(dir_.file("db/faceid.db.index/graph.hnsw")), saved_at)
      << "the saved graph was rebuilt, not loaded";
  auto hits = (*reopened)->search_faces(vec(2), 1);
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->front().user_id, "u2");
  EXPECT_NEAR(hits->front().distance, 0.0f, 1e-5);
}

TEST_F(SqliteStoreTest, SavedFaceIndexIsNotUsedOnceTheDatabaseChangedBehindIt) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  ASSERT_TRUE(store_->create_user(user("u2", "bob"), tmpl(vec(2))).ok());
  store_.reset();  // saved, covering u1 and u2
  {
    // Another program deletes bob while no store is open.
    auto db = SqliteDb::open(dir_.file("db/faceid.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->exec("DELETE FROM users WHERE id = 'u2'").ok());
  }
  auto reopened = SqliteStore::open(dir_.file("db/faceid.db"));
  ASSERT_TRUE(reopened.ok());
  auto hits = (*reopened)->search_faces(vec(2), 5);
  ASSERT_EQ(hits->size(), 1u);  // rebuilt from the database: bob is gone
  EXPECT_EQ(hits->front().user_id, "u1");
}

TEST_F(SqliteStoreTest, DamagedOrUnsavedFaceIndexIsRebuiltFromTheDatabase) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  store_.reset();
  {
    std::ofstream graph(dir_.file("db/faceid.db.index/graph.hnsw"),
                        std::ios::binary | std::ios::in | std::ios::out);
    graph.seekp(200);
    graph.write("garbage!", 8);
  }
  // A process that repairs the index, registers bob and dies without closing the store: the
  // change is never saved.
  const pid_t child = ::fork();
  if (child == 0) {
    auto reopened = SqliteStore::open(dir_.file("db/faceid.db"));
    const bool ok = reopened.ok() && (*reopened)->create_user(user("u2", "bob"), tmpl(vec(2))).ok();
    std::_Exit(ok ? 0 : 1);
  }
  int status = -1;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto after_crash = SqliteStore::open(dir_.file("db/faceid.db"));
  ASSERT_TRUE(after_crash.ok());
  for (auto [probe, expected] : {std::pair{1.0f, "u1"}, {2.0f, "u2"}}) {
    auto hits = (*after_crash)->search_faces(vec(probe), 1);
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ(hits->front().user_id, expected);
    EXPECT_NEAR(hits->front().distance, 0.0f, 1e-5);
  }
}

TEST_F(SqliteStoreTest, DeleteUserErasesTemplatesTokensAttemptsAndIndexEntries) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  RefreshTokenRecord t{"j1", "u1", "f1", "hash", kNow + hours(1), {}, {}, kNow};
  ASSERT_TRUE(store_->insert_refresh_token(t).ok());
  LoginAttempt a;
  a.user_id = "u1";
  a.ip = "1.2.3.4";
  a.reason = "no_match";
  a.created_at = kNow;
  ASSERT_TRUE(store_->record_failed_attempt(a).ok());
  LoginAttempt named;
  named.username_tried = "alice";
  named.ip = "1.2.3.4";
  named.reason = "no_match";
  named.created_at = kNow;
  ASSERT_TRUE(store_->record_failed_attempt(named).ok());

  ASSERT_TRUE(store_->delete_user("u1").ok());
  EXPECT_FALSE(store_->find_user_by_id("u1")->has_value());
  EXPECT_TRUE(store_->templates_for_user("u1")->empty());
  EXPECT_FALSE(store_->find_refresh_token("j1")->has_value());
  EXPECT_TRUE(store_->failed_attempts_since(kNow - hours(1), 10)->empty());
  auto hits = store_->search_faces(vec(1), 5);
  EXPECT_TRUE(hits->empty());
  EXPECT_EQ(store_->delete_user("u1").error().code, "not_found");
}

TEST_F(SqliteStoreTest, AddTemplateStopsAtTheLimit) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  for (int i = 0; i < 4; ++i) {
    auto t = tmpl(vec(10 + i));
    t.user_id = "u1";
    ASSERT_TRUE(store_->add_template(t, 5).ok());
  }
  auto t = tmpl(vec(20));
  t.user_id = "u1";
  auto sixth = store_->add_template(t, 5);
  ASSERT_FALSE(sixth.ok());
  EXPECT_EQ(sixth.error().code, "too_many_templates");
  EXPECT_EQ(store_->templates_for_user("u1")->size(), 5u);
}

TEST_F(SqliteStoreTest, RefreshRotationRevokesOldAndRefusesReuse) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  RefreshTokenRecord first{"j1", "u1", "fam", "h1", kNow + hours(1), {}, {}, kNow};
  RefreshTokenRecord second{"j2", "u1", "fam", "h2", kNow + hours(1), {}, {}, kNow};
  RefreshTokenRecord third{"j3", "u1", "fam", "h3", kNow + hours(1), {}, {}, kNow};
  ASSERT_TRUE(store_->insert_refresh_token(first).ok());
  EXPECT_TRUE(*store_->rotate_refresh_token("j1", second, kNow));
  auto old = *store_->find_refresh_token("j1");
  ASSERT_TRUE(old.has_value());
  EXPECT_TRUE(old->revoked_at.has_value());
  EXPECT_EQ(old->replaced_by, "j2");
  EXPECT_FALSE(*store_->rotate_refresh_token("j1", third, kNow));  // reuse
  EXPECT_FALSE(store_->find_refresh_token("j3")->has_value());
  ASSERT_TRUE(store_->revoke_token_family("fam", kNow).ok());
  EXPECT_TRUE((*store_->find_refresh_token("j2"))->revoked_at.has_value());
}

TEST_F(SqliteStoreTest, FailureCountsSuspiciousActivityAndPurge) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  for (int i = 0; i < 6; ++i) {
    LoginAttempt a;
    a.user_id = i < 4 ? std::optional<std::string>("u1") : std::nullopt;
    a.ip = "9.9.9.9";
    a.reason = "no_match";
    a.created_at = kNow - minutes(i * 10);
    ASSERT_TRUE(store_->record_failed_attempt(a).ok());
  }
  EXPECT_EQ(store_->account_failures("u1", kNow - minutes(25), 0.75)->total, 3);
  auto sus = store_->suspicious_activity(kNow - hours(2), 5);
  ASSERT_EQ(sus->ips.size(), 1u);
  EXPECT_EQ(sus->ips[0].key, "9.9.9.9");
  EXPECT_EQ(sus->ips[0].count, 6);
  EXPECT_TRUE(sus->accounts.empty());  // 4 < threshold 5
  ASSERT_TRUE(store_->record_login_success("u1", "9.9.9.9", "login", kNow).ok());
  auto stats = store_->login_stats(kNow - hours(1));
  EXPECT_EQ(stats->successes, 1);
  EXPECT_EQ(stats->failures, 6);
  EXPECT_EQ(*store_->purge_failed_attempts(kNow - minutes(25)), 3);
  EXPECT_EQ(store_->failed_attempts_since(kNow - hours(5), 100)->size(), 3u);
  EXPECT_TRUE((*store_->find_user_by_id("u1"))->last_login_at.has_value());
}

TEST_F(SqliteStoreTest, AccountAndClientFailureCountsForTheLockoutPolicy) {
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
  EXPECT_EQ(acc->close, 2);  // 0.7 and 0.65; 0.9 is far, no distance is not close

  auto by_name = store_->client_failures(std::nullopt, "ALICE", "1.1.1.1", kNow - hours(1));
  ASSERT_TRUE(by_name.ok()) << by_name.error().message;
  EXPECT_EQ(by_name->count, 2);
  EXPECT_EQ(by_name->last_at, kNow - minutes(4));
  EXPECT_EQ(store_->client_failures("u1", "alice", "2.2.2.2", kNow - hours(1))->count, 1);
  EXPECT_EQ(store_->client_failures(std::nullopt, "ghost", "1.1.1.1", kNow - hours(1))->count, 1);
  auto none = store_->client_failures(std::nullopt, "bob", "1.1.1.1", kNow - hours(1));
  EXPECT_EQ(none->count, 0);
  EXPECT_FALSE(none->last_at.has_value());
}

TEST_F(SqliteStoreTest, UsernamesAreUniqueAndFoundWhateverTheirCase) {
  ASSERT_TRUE(store_->create_user(user("u1", "Alice"), tmpl(vec(1))).ok());
  auto clash = store_->create_user(user("u2", "aLICE"), tmpl(vec(2)));
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().code, "user_exists");
  auto found = store_->find_user_by_username("ALICE");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, "u1");
  EXPECT_EQ((*found)->username, "Alice");  // stored as registered
}

TEST_F(SqliteStoreTest, RevokedSessionsAreListedForTheRevocationSet) {
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

TEST(SqliteMigrationTest, CaseInsensitiveUsernamesRefuseExistingCollisionsClearly) {
  TempDir dir;
  std::string path = dir.file("faceid.db");
  // A database at schema 1 holding "Alice" and "alice", written with the sqlite3 tool.
  std::string sql =
      std::string(
          "CREATE TABLE schema_migrations(version INTEGER PRIMARY KEY, "
          "name TEXT NOT NULL, applied_at TEXT NOT NULL);") +
      migrations_for("sqlite").front().sql +
      "INSERT INTO schema_migrations VALUES(1,'initial','x');"
      "INSERT INTO users(id,username,email,password_hash,created_at,updated_at) "
      "VALUES('a','Alice','a@x.org','h','t','t'),('b','alice','b@x.org','h','t','t');";
  faceid::testing::write_file(dir.file("v1.sql"), sql);
  ASSERT_EQ(std::system(("sqlite3 " + path + " < " + dir.file("v1.sql")).c_str()), 0);
  auto s = SqliteStore::open(path);
  ASSERT_TRUE(s.ok());
  auto migrated = (*s)->migrate();
  ASSERT_FALSE(migrated.ok());
  EXPECT_EQ(migrated.error().code, "migration_refused");
  for (const char* name : {"Alice", "alice"}) {
    EXPECT_NE(migrated.error().message.find(name), std::string::npos) << migrated.error().message;
  }
  // Nothing of migration 2 was applied.
  EXPECT_EQ(*(*s)->schema_version(), 1);
}

TEST_F(SqliteStoreTest, LockAndUnlock) {
  ASSERT_TRUE(store_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  ASSERT_TRUE(store_->set_lock("u1", kNow + minutes(30), kNow).ok());
  auto u = *store_->find_user_by_id("u1");
  EXPECT_TRUE(u->is_locked);
  EXPECT_EQ(u->locked_until, kNow + minutes(30));
  EXPECT_EQ(store_->summary(kNow)->locked_users, 1);
  ASSERT_TRUE(store_->set_lock("u1", std::nullopt, kNow).ok());
  EXPECT_FALSE((*store_->find_user_by_id("u1"))->is_locked);
}

}  // namespace
}  // namespace faceid::store
