// MatchCalibration: thresholds read off a table (pure logic on small hand-made tables), and
// the table compiled in for the shipped model (its operating point as docs/accuracy.md states).
#include "face/match_calibration.h"

#include <gtest/gtest.h>

#include <string>

#include "face/face_engine.h"

namespace faceid::face {
namespace {

// Two template columns; FMR rises and FNMR falls with the threshold.
const char* kTable =
    "# test table\n"
    "impostor_pairs,1000000,100000\n"
    "genuine_pairs,1000,800\n"
    "threshold,fmr_1,fnmr_1,fmr_2,fnmr_2\n"
    "0.30,0,0.90,0,0.80\n"
    "0.40,1e-6,0.50,1e-5,0.30\n"
    "0.45,1e-5,0.30,1e-4,0.15\n"
    "0.50,1e-4,0.15,1e-3,0.05\n"
    "0.55,1e-3,0.05,5e-3,0.02\n"
    "0.60,1e-2,0.01,2e-2,0.01\n";

MatchCalibration table(MatchSettings s = {}) {
  auto t = MatchCalibration::parse(kTable, s);
  EXPECT_TRUE(t) << (t ? "" : t.error().message);
  return *t;
}

TEST(MatchCalibrationTest, OneToOneThresholdIsTheLargestDistanceWithinTheTargetFmr) {
  MatchSettings s;
  s.target_fmr = 1e-3;
  const MatchCalibration c = table(s);
  EXPECT_DOUBLE_EQ(c.one_to_one_threshold(1), 0.55);
  EXPECT_DOUBLE_EQ(c.one_to_one_threshold(2), 0.50);
  // More templates than measured count as the last column.
  EXPECT_DOUBLE_EQ(c.one_to_one_threshold(5), 0.50);
  s.target_fmr = 1e-5;
  EXPECT_DOUBLE_EQ(table(s).one_to_one_threshold(1), 0.45);
}

TEST(MatchCalibrationTest, AFixedToleranceOverridesTheOneToOneThreshold) {
  MatchSettings s;
  s.fixed_threshold = 0.42;
  EXPECT_DOUBLE_EQ(table(s).one_to_one_threshold(1), 0.42);
  EXPECT_DOUBLE_EQ(table(s).one_to_one_threshold(2), 0.42);
}

TEST(MatchCalibrationTest, UnmeasuredFalseMatchRatesAreTheRuleOfThreeNeverZero) {
  const MatchCalibration c = table();
  EXPECT_DOUBLE_EQ(c.fmr(1, 0.30), 3.0 / 1000000);
  EXPECT_DOUBLE_EQ(c.fmr(2, 0.30), 3.0 / 100000);
  // Between rows: the row above (never less than measured).
  EXPECT_DOUBLE_EQ(c.fmr(1, 0.47), 1e-4);
  EXPECT_DOUBLE_EQ(c.fnmr(1, 0.47), 0.30);
}

TEST(MatchCalibrationTest, FaceOnlySearchShrinksItsThresholdAsAccountsGrowThenStops) {
  MatchSettings s;
  s.face_only_max_fpir = 1e-3;
  s.face_only_max_fnmr = 0.3;
  const MatchCalibration c = table(s);
  // 1 account: FMR 1e-3 at 0.55 is within budget.
  EXPECT_EQ(c.one_to_many_threshold({1}), 0.55);
  // 10 accounts: each may take 1e-4 -> 0.50.
  EXPECT_EQ(c.one_to_many_threshold(std::vector<int>(10, 1)), 0.50);
  // 100 accounts: 1e-5 each -> 0.45, where one template misses 30 %: still answered.
  EXPECT_EQ(c.one_to_many_threshold(std::vector<int>(100, 1)), 0.45);
  // 1,000: 1e-6 each -> 0.40, FNMR 50 % > 30 %: face-only is off.
  EXPECT_EQ(c.one_to_many_threshold(std::vector<int>(1000, 1)), std::nullopt);
  // A million: not even the lowest row is within budget.
  EXPECT_EQ(c.one_to_many_threshold_by_count({0, 1000000}), std::nullopt);
}

TEST(MatchCalibrationTest, ExpectedFpirSumsTheAccountsFalseMatchRates) {
  const MatchCalibration c = table();
  EXPECT_DOUBLE_EQ(c.expected_fpir({0, 10, 0}, 0.50), 10 * 1e-4);
  EXPECT_DOUBLE_EQ(c.expected_fpir({0, 10, 5}, 0.50), 10 * 1e-4 + 5 * 1e-3);
  EXPECT_DOUBLE_EQ(c.expected_fpir({0, 100000}, 0.60), 1.0);
}

TEST(MatchCalibrationTest, HintsShareTheOneToOneFalseMatchBudget) {
  const MatchCalibration c = table();
  EXPECT_DOUBLE_EQ(c.hinted_threshold({1}), c.one_to_one_threshold(1));
  // Five hinted one-template accounts: 2e-4 each -> the 0.50 row.
  EXPECT_DOUBLE_EQ(c.hinted_threshold({1, 1, 1, 1, 1}), 0.50);
}

TEST(MatchCalibrationTest, DuplicateRuleTightensWithTheNumberOfAccounts) {
  MatchSettings s;
  s.duplicate_max_refusal = 0.01;
  const MatchCalibration c = table(s);
  EXPECT_DOUBLE_EQ(c.duplicate_threshold(0), c.one_to_one_threshold(1));
  // 10 accounts: 1e-3 each, by the worse column (fmr_2 at 0.50).
  EXPECT_DOUBLE_EQ(c.duplicate_threshold(10), 0.50);
  // 100 accounts: 1e-4 each -> 0.45.
  EXPECT_DOUBLE_EQ(c.duplicate_threshold(100), 0.45);
  // Beyond what the table resolves (3 / impostor pairs): its lowest row.
  EXPECT_DOUBLE_EQ(c.duplicate_threshold(1000000), 0.30);
}

TEST(MatchCalibrationTest, MalformedTablesAreRefused) {
  for (const char* bad :
       {"", "threshold,fmr_1,fnmr_1\n0.5,1e-3,0.1\n",
        "impostor_pairs,100\nthreshold,fmr_1,fnmr_1\n0.5,1e-3\n",
        "impostor_pairs,100\nthreshold,fmr_1,fnmr_1\n0.5,1e-3,0.1\n0.4,1e-4,0.2\n",
        "impostor_pairs,0\nthreshold,fmr_1,fnmr_1\n0.5,1e-3,0.1\n"}) {
    auto t = MatchCalibration::parse(bad, {});
    ASSERT_FALSE(t) << bad;
    EXPECT_EQ(t.error().code, "invalid_calibration");
  }
}

// The shipped table: the operating point docs/accuracy.md and the targets name.
TEST(MatchCalibrationTest, ShippedTableMeetsTheOneToOneTargetsWithThreeTemplates) {
  auto c = MatchCalibration::builtin(kDefaultModelVersion, {});
  ASSERT_TRUE(c) << c.error().message;
  const double t3 = c->one_to_one_threshold(3);
  EXPECT_LE(c->fmr(3, t3), 1e-3);
  EXPECT_LE(c->fnmr(3, t3), 0.03);
  // One template: the same FMR at a larger distance; the old fixed 0.6 matched 1 pair in ~150.
  const double t1 = c->one_to_one_threshold(1);
  EXPECT_GT(t1, 0.45);
  EXPECT_LT(t1, 0.6);
  EXPECT_GT(c->fmr(1, 0.6), 5e-3);
  // A family keeps face-only sign-in; a thousand single-photo accounts do not.
  EXPECT_TRUE(c->one_to_many_threshold(std::vector<int>(4, 1)));
  EXPECT_FALSE(c->one_to_many_threshold(std::vector<int>(1000, 1)));
}

TEST(MatchCalibrationTest, UnknownModelVersionHasNoTable) {
  auto c = MatchCalibration::builtin("no-such-model", {});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "models_unavailable");
}

}  // namespace
}  // namespace faceid::face
