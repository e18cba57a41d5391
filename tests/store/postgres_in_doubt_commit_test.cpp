// PostgresStore when the connection drops while COMMIT is in flight, against the real server
// of the faceid_backends fixture: a proxy (CommitCuttingProxy) cuts the connection either
// after the server answered the COMMIT (it committed; the client never hears so) or before
// the server got it (it rolled back). A write that committed must be reported done, one that
// did not must be store_unavailable with nothing of it stored: never "nothing happened"
// while the account is there.
#include <gtest/gtest.h>

#include "store/postgres_store.h"
#include "store_records.h"
#include "support/backends.h"
#include "support/commit_cutting_proxy.h"

namespace faceid::store {
namespace {

using faceid::testing::Backends;
using faceid::testing::CommitCuttingProxy;
using Cut = CommitCuttingProxy::Cut;
using std::chrono::hours;

using faceid::store::testing::kNow;
using faceid::store::testing::tmpl;
using faceid::store::testing::user;
using faceid::store::testing::vec;

std::unique_ptr<PostgresStore> open_store(const std::string& url) {
  PostgresOptions o;
  o.url = url;
  o.model_version = "dlib-resnet-v1";
  o.duplicate_tolerance = 0.6;
  o.pool_size = 1;  // the resolution must not need a second connection
  auto s = PostgresStore::open(o);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return std::move(*s);
}

class PostgresInDoubtCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = Backends::shared().fresh_database_url();
    direct_ = open_store(url_);
    ASSERT_TRUE(direct_->migrate().ok());
    // The same database through the proxy (the URL names the server's port: swap it).
    const std::string port = ":" + std::to_string(Backends::shared().pg_port) + "/";
    std::string proxied = url_;
    proxied.replace(proxied.find(port), port.size(), ":" + std::to_string(proxy_.port()) + "/");
    through_proxy_ = open_store(proxied + "?sslmode=disable");
  }

  std::string count(const std::string& sql) { return Backends::query(url_, sql); }

  CommitCuttingProxy proxy_{Backends::shared().pg_port};
  std::string url_;
  std::unique_ptr<PostgresStore> direct_;         // the truth, straight to the server
  std::unique_ptr<PostgresStore> through_proxy_;  // the store under test
};

TEST_F(PostgresInDoubtCommitTest, RegistrationWhoseCommitHappenedIsReportedCreated) {
  proxy_.arm(Cut::kAfterCommit);
  auto created = through_proxy_->create_user(user("u1", "alice"), tmpl(vec(1)));
  EXPECT_EQ(proxy_.cuts(), 1);  // the connection really dropped at COMMIT
  ASSERT_TRUE(created.ok()) << created.error().code << ": " << created.error().message;
  EXPECT_EQ(created->id, "u1");
  auto found = direct_->find_user_by_username("alice");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(direct_->templates_for_user("u1")->size(), 1u);
  // The store goes on over a fresh connection.
  EXPECT_TRUE(through_proxy_->create_user(user("u2", "bob"), tmpl(vec(2))).ok());
}

TEST_F(PostgresInDoubtCommitTest,
       RegistrationWhoseCommitNeverArrivedIsUnavailableAndLeavesNothing) {
  proxy_.arm(Cut::kBeforeCommit);
  auto created = through_proxy_->create_user(user("u1", "alice"), tmpl(vec(1)));
  EXPECT_EQ(proxy_.cuts(), 1);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, "store_unavailable");
  EXPECT_EQ(created.error().message, "The database connection was lost; nothing was saved");
  EXPECT_EQ(count("SELECT count(*) FROM users"), "0");
  EXPECT_EQ(count("SELECT count(*) FROM face_templates"), "0");
  // A retry of the same registration then succeeds: nothing half-done is in its way.
  EXPECT_TRUE(through_proxy_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  EXPECT_EQ(count("SELECT count(*) FROM face_templates"), "1");
}

TEST_F(PostgresInDoubtCommitTest, CommitLostInAPartitionResolvesOnceTheServerDropsTheSession) {
  // The server never hears that the client went (no FIN): its session sits idle in the
  // transaction, holding the enrolment lock, until idle_in_transaction_session_timeout
  // ends it. Meanwhile txid_status says "in progress", and the store waits for the verdict.
  proxy_.arm(Cut::kStallBeforeCommit);
  auto start = std::chrono::steady_clock::now();
  auto created = through_proxy_->create_user(user("u1", "alice"), tmpl(vec(1)));
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(proxy_.cuts(), 1);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().message, "The database connection was lost; nothing was saved");
  EXPECT_GE(waited, std::chrono::seconds(4));  // it did wait for the server's verdict
  EXPECT_EQ(count("SELECT count(*) FROM users"), "0");
  // The lock is free again: the next enrolment goes through at once.
  EXPECT_TRUE(direct_->create_user(user("u2", "bob"), tmpl(vec(2))).ok());
}

TEST_F(PostgresInDoubtCommitTest, TokenRotationAndTemplateAreResolvedByTheirOwnRows) {
  ASSERT_TRUE(direct_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  ASSERT_TRUE(
      direct_->insert_refresh_token({"j0", "u1", "fam", "h0", kNow + hours(1), {}, {}, kNow}).ok());
  proxy_.arm(Cut::kAfterCommit);
  auto rotated = through_proxy_->rotate_refresh_token(
      "j0", {"j1", "u1", "fam", "h1", kNow + hours(1), {}, {}, kNow}, kNow);
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  EXPECT_TRUE(*rotated);
  EXPECT_EQ((*direct_->find_refresh_token("j0"))->replaced_by, "j1");

  proxy_.arm(Cut::kBeforeCommit);
  rotated = through_proxy_->rotate_refresh_token(
      "j1", {"j2", "u1", "fam", "h2", kNow + hours(1), {}, {}, kNow}, kNow);
  ASSERT_FALSE(rotated.ok());
  EXPECT_EQ(rotated.error().code, "store_unavailable");
  EXPECT_FALSE((*direct_->find_refresh_token("j1"))->revoked_at.has_value());
  EXPECT_FALSE(direct_->find_refresh_token("j2")->has_value());

  proxy_.arm(Cut::kAfterCommit);
  auto t = tmpl(vec(1.5f));
  t.user_id = "u1";
  auto added = through_proxy_->add_template(t, 5);
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ(direct_->templates_for_user("u1")->back().id, added->id);
  EXPECT_EQ(proxy_.cuts(), 3);
}

TEST_F(PostgresInDoubtCommitTest, WritesWithoutARowOfTheirOwnAreResolvedByTransactionStatus) {
  ASSERT_TRUE(direct_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  proxy_.arm(Cut::kAfterCommit);
  EXPECT_TRUE(through_proxy_->record_login_success("u1", "10.0.0.1", "face", kNow).ok());
  EXPECT_EQ(count("SELECT count(*) FROM login_successes"), "1");
  proxy_.arm(Cut::kBeforeCommit);
  auto lost = through_proxy_->record_login_success("u1", "10.0.0.2", "face", kNow);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, "store_unavailable");
  EXPECT_EQ(count("SELECT count(*) FROM login_successes"), "1");
  proxy_.arm(Cut::kAfterCommit);
  EXPECT_TRUE(through_proxy_->delete_user("u1").ok());
  EXPECT_EQ(count("SELECT count(*) FROM users"), "0");
  EXPECT_EQ(proxy_.cuts(), 3);
}

// run() retries a write once after its connection dropped. The connection may drop after the
// statement ran: the retry must not fail on the row the first try left, nor add a second one.
TEST_F(PostgresInDoubtCommitTest, WritesRetriedAfterALostReplyHappenExactlyOnce) {
  ASSERT_TRUE(direct_->create_user(user("u1", "alice"), tmpl(vec(1))).ok());
  // A lone INSERT: it committed, the reply was lost, the retry finds its own row.
  proxy_.arm_after_statement("insert_token_once");
  auto inserted = through_proxy_->insert_refresh_token(
      {"j1", "u1", "fam", "h1", kNow + hours(1), {}, {}, kNow});
  EXPECT_TRUE(inserted.ok()) << inserted.error().message;
  EXPECT_EQ(proxy_.cuts(), 1);
  EXPECT_EQ(count("SELECT count(*) FROM refresh_tokens WHERE jti = 'j1'"), "1");
  // Someone else's row under the same id is not taken for ours.
  auto clash = through_proxy_->insert_refresh_token(
      {"j1", "u1", "fam", "other", kNow + hours(1), {}, {}, kNow});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().code, "store_error");

  // A failed attempt counts toward locking the account: cut after its INSERT ran, it is
  // stored once, not twice.
  LoginAttempt a;
  a.user_id = "u1";
  a.username_tried = "alice";
  a.ip = "10.0.0.9";
  a.reason = "face_mismatch";
  a.created_at = kNow;
  proxy_.arm_after_statement("insert_attempt");
  EXPECT_TRUE(through_proxy_->record_failed_attempt(a).ok());
  EXPECT_EQ(proxy_.cuts(), 2);
  EXPECT_EQ(count("SELECT count(*) FROM failed_login_attempts"), "1");
  proxy_.arm(Cut::kAfterCommit);
  EXPECT_TRUE(through_proxy_->record_failed_attempt(a).ok());
  EXPECT_EQ(proxy_.cuts(), 3);
  EXPECT_EQ(count("SELECT count(*) FROM failed_login_attempts"), "2");
}

}  // namespace
}  // namespace faceid::store
