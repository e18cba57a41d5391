// MatchCalibration: the match decisions of one model, read off its measured error curves.
// A table per model_version (src/face/calibration/<model_version>.csv, written by
// bench/accuracy/lfw_eval on LFW and compiled into the binary) gives the false-match and
// false-non-match rates per distance for an account enrolled with k templates, matched by
// the distance to the mean of its templates. Every threshold the service uses comes from it:
//   - 1:1 (a named account): the largest distance whose FMR stays within FACE_MATCH_FMR;
//   - face-only 1:N: a threshold whose expected false-positive identification rate over the
//     active accounts (the sum of their FMRs) stays within FACE_ONLY_MAX_FPIR; none (the
//     caller must name the account) when the model cannot meet that budget with an FNMR
//     below FACE_ONLY_MAX_FNMR;
//   - the duplicate-face rule: a distance at which a new, different person is refused with a
//     probability below DUPLICATE_MAX_REFUSAL however many accounts there are.
// FMRs below what the table could measure are taken as the rule of three (3 / impostor pairs
// measured), never as zero. Immutable after construction: safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace faceid::face {

struct MatchSettings {
  double target_fmr = 1e-3;               // FACE_MATCH_FMR (NIST SP 800-63B: <= 1/1000)
  std::optional<double> fixed_threshold;  // FACE_RECOGNITION_TOLERANCE: overrides 1:1
  double face_only_max_fpir = 1e-3;       // FACE_ONLY_MAX_FPIR
  double face_only_max_fnmr = 0.3;        // FACE_ONLY_MAX_FNMR
  double duplicate_max_refusal = 0.01;    // DUPLICATE_MAX_REFUSAL
};

// (model_version, CSV text) of every table compiled in (generated from calibration/*.csv).
const std::vector<std::pair<std::string, std::string_view>>& embedded_calibration_tables();

class MatchCalibration {
 public:
  using Settings = MatchSettings;
  // Tables are measured for 1..kMaxTemplates templates; more count as kMaxTemplates.
  static constexpr int kMaxTemplates = 5;

  // The table compiled in for this model_version, or models_unavailable.
  static Result<MatchCalibration> builtin(const std::string& model_version, Settings settings);
  // The CSV text lfw_eval writes (invalid_calibration on a malformed table).
  static Result<MatchCalibration> parse(std::string_view csv, Settings settings);
  static Result<MatchCalibration> load(const std::string& path, Settings settings = {});

  const Settings& settings() const { return settings_; }

  // Measured rates at distance `threshold` for an account with `templates` templates.
  double fmr(int templates, double threshold) const;
  double fnmr(int templates, double threshold) const;

  // 1:1 against an account with `templates` templates (the override when set).
  double one_to_one_threshold(int templates) const;
  // 1:1 against any of `candidates` accounts at once (sign-in hints): the per-account FMR is
  // divided among them so that the whole attempt keeps the 1:1 false-match rate.
  double hinted_threshold(const std::vector<int>& template_counts) const;
  // Face-only 1:N over accounts with these template counts: the threshold, or nullopt when
  // face-only search cannot meet the FPIR budget with FNMR <= face_only_max_fnmr.
  std::optional<double> one_to_many_threshold(const std::vector<int>& template_counts) const;
  // Same, from a histogram: accounts_by_templates[k] = active accounts with k templates
  // (index 0 unused; the last entry counts kMaxTemplates or more).
  std::optional<double> one_to_many_threshold_by_count(
      const std::vector<std::int64_t>& accounts_by_templates) const;
  // The duplicate-face rule with `accounts` accounts registered.
  double duplicate_threshold(std::int64_t accounts) const;

  // Expected FPIR of a face-only search at `threshold` over these accounts.
  double expected_fpir(const std::vector<std::int64_t>& accounts_by_templates,
                       double threshold) const;
  // Expected FNMR of a face-only search at `threshold`: the accounts' FNMRs, averaged.
  double expected_fnmr(const std::vector<std::int64_t>& accounts_by_templates,
                       double threshold) const;

 private:
  struct Row {
    double threshold = 0;
    std::vector<double> fmr, fnmr;  // index k-1
  };
  MatchCalibration(std::vector<Row> rows, std::vector<double> impostor_pairs, Settings settings);
  static int column(int templates);
  double fmr_at_row(const Row& row, int col) const;
  // The largest table threshold whose `total_fmr(row)` is within `budget` (nullopt: none).
  template <typename F>
  std::optional<double> largest_within(F total_fmr, double budget) const;

  std::vector<Row> rows_;          // ascending threshold
  std::vector<double> floor_fmr_;  // per column: 3 / impostor pairs measured
  Settings settings_;
};

}  // namespace faceid::face
