// Fused matching and the account census, on a real SQLite store (no face models needed: the
// embeddings are made up, which is all this logic reads).
#include "auth/face_match.h"

#include <gtest/gtest.h>

#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace faceid::auth {
namespace {

face::Embedding unit(int axis, float scale = 1) {
  face::Embedding e{};
  e[axis] = scale;
  return e;
}

store::FaceTemplate tmpl(const std::string& user, const face::Embedding& e,
                         const std::string& model = face::kDefaultModelVersion) {
  store::FaceTemplate t;
  t.user_id = user;
  t.embedding = e;
  t.model_version = model;
  return t;
}

TEST(FaceMatchTest, AnAccountIsComparedByTheMeanOfItsTemplates) {
  // Two templates on either side of the probe: each is 1 away, their mean is the probe itself.
  const std::vector<store::FaceTemplate> templates = {tmpl("u", unit(0, 1)),
                                                      tmpl("u", unit(0, -1))};
  auto d = distance_to_account(face::Embedding{}, "u", templates, face::kDefaultModelVersion);
  ASSERT_TRUE(d);
  EXPECT_FLOAT_EQ(d->distance, 0);
  EXPECT_EQ(d->templates, 2);
}

TEST(FaceMatchTest, TemplatesOfAnotherModelAreIgnored) {
  const std::vector<store::FaceTemplate> templates = {tmpl("u", unit(0)),
                                                      tmpl("u", unit(1), "other-model")};
  auto d = distance_to_account(unit(0), "u", templates, face::kDefaultModelVersion);
  ASSERT_TRUE(d);
  EXPECT_FLOAT_EQ(d->distance, 0);
  EXPECT_EQ(d->templates, 1);
  EXPECT_FALSE(distance_to_account(unit(0), "u", {tmpl("u", unit(0), "other-model")},
                                   face::kDefaultModelVersion));
}

class CensusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::SqliteStore::open(dir_.file("faceid.db"));
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    ASSERT_TRUE(store_->migrate().ok());
  }
  void add_user(const std::string& name, int templates) {
    store::User u;
    u.id = name + "-id";
    u.username = name;
    u.email = name + "@example.com";
    u.password_hash = "x";
    ASSERT_TRUE(store_->create_user(u, tmpl(u.id, unit(0))).ok());
    for (int i = 1; i < templates; ++i) {
      ASSERT_TRUE(store_->add_template(tmpl(u.id, unit(i)), 5).ok());
    }
  }
  faceid::testing::TempDir dir_;
  std::unique_ptr<store::SqliteStore> store_;
};

TEST_F(CensusTest, CountsActiveAccountsByTemplatesAndRereadsWhenInvalidated) {
  add_user("one", 1);
  add_user("three", 3);
  add_user("three-too", 3);
  AccountCensus census;
  ManualClock clock;
  auto first = census.accounts_by_templates(*store_, clock.now());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, (std::vector<std::int64_t>{0, 1, 0, 2}));
  add_user("two", 2);
  // Cached for a while: the new account shows after invalidate() or kMaxAge.
  EXPECT_EQ(*census.accounts_by_templates(*store_, clock.now()), *first);
  census.invalidate();
  EXPECT_EQ(*census.accounts_by_templates(*store_, clock.now()),
            (std::vector<std::int64_t>{0, 1, 1, 2}));
  add_user("four", 4);
  clock.advance(AccountCensus::kMaxAge);
  EXPECT_EQ(*census.accounts_by_templates(*store_, clock.now()),
            (std::vector<std::int64_t>{0, 1, 1, 2, 1}));
}

}  // namespace
}  // namespace faceid::auth
