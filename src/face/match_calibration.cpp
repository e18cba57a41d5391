// Threshold choice from the measured table; see match_calibration.h.
#include "face/match_calibration.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>

namespace faceid::face {

namespace {

// The rule of three: with n impostor pairs and none accepted, the FMR is below 3/n at 95 %.
constexpr double kRuleOfThree = 3.0;

Error invalid(const std::string& why) {
  return make_error("invalid_calibration", "calibration table: " + why);
}

std::vector<double> split_numbers(const std::string& line) {
  std::vector<double> out;
  std::stringstream s(line);
  std::string cell;
  while (std::getline(s, cell, ',')) out.push_back(std::strtod(cell.c_str(), nullptr));
  return out;
}

}  // namespace

MatchCalibration::MatchCalibration(std::vector<Row> rows, std::vector<double> impostor_pairs,
                                   Settings settings)
    : rows_(std::move(rows)), settings_(settings) {
  for (double n : impostor_pairs) floor_fmr_.push_back(kRuleOfThree / n);
}

// Format: '#' comments; "impostor_pairs,<k=1>,...,<k=K>"; a header "threshold,fmr_1,fnmr_1,..";
// then rows of numbers in ascending threshold.
Result<MatchCalibration> MatchCalibration::parse(std::string_view csv, Settings settings) {
  std::istringstream in{std::string(csv)};
  std::string line;
  std::vector<double> impostors;
  std::vector<Row> rows;
  bool header = false;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("impostor_pairs,", 0) == 0) {
      impostors = split_numbers(line.substr(line.find(',') + 1));
      continue;
    }
    if (line.rfind("genuine_pairs,", 0) == 0) continue;  // for readers of the table
    if (line.rfind("threshold", 0) == 0) {
      header = true;
      continue;
    }
    const std::vector<double> v = split_numbers(line);
    if (!header || impostors.empty() || v.size() < 1 + 2 * impostors.size()) {
      return invalid("malformed row '" + line + "'");
    }
    Row row;
    row.threshold = v[0];
    for (size_t k = 0; k < impostors.size(); ++k) {
      row.fmr.push_back(v[1 + 2 * k]);
      row.fnmr.push_back(v[2 + 2 * k]);
    }
    if (!rows.empty() && row.threshold <= rows.back().threshold) {
      return invalid("thresholds must ascend");
    }
    rows.push_back(std::move(row));
  }
  if (rows.empty() || impostors.empty()) return invalid("no rows");
  for (double n : impostors) {
    if (!(n > 0)) return invalid("impostor_pairs must be positive");
  }
  return MatchCalibration(std::move(rows), std::move(impostors), settings);
}

Result<MatchCalibration> MatchCalibration::load(const std::string& path, Settings settings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("models_unavailable", "cannot read calibration table " + path);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse(text, settings);
}

Result<MatchCalibration> MatchCalibration::builtin(const std::string& model_version,
                                                   Settings settings) {
  for (const auto& [version, csv] : embedded_calibration_tables()) {
    if (version == model_version) return parse(csv, settings);
  }
  return make_error("models_unavailable", "no calibration table for model " + model_version);
}

int MatchCalibration::column(int templates) { return std::clamp(templates, 1, kMaxTemplates) - 1; }

double MatchCalibration::fmr_at_row(const Row& row, int col) const {
  col = std::min<int>(col, static_cast<int>(row.fmr.size()) - 1);
  return std::max(row.fmr[col], floor_fmr_[col]);
}

double MatchCalibration::fmr(int templates, double threshold) const {
  const int col = column(templates);
  if (threshold <= rows_.front().threshold) return fmr_at_row(rows_.front(), col);
  if (threshold >= rows_.back().threshold) return fmr_at_row(rows_.back(), col);
  // The row at or above the threshold: never report a lower FMR than measured.
  const auto above = std::lower_bound(rows_.begin(), rows_.end(), threshold,
                                      [](const Row& r, double t) { return r.threshold < t; });
  return fmr_at_row(*above, col);
}

double MatchCalibration::fnmr(int templates, double threshold) const {
  const int col = std::min<int>(column(templates), static_cast<int>(rows_[0].fnmr.size()) - 1);
  // The row at or below the threshold: never report a lower FNMR than measured.
  auto it = std::upper_bound(rows_.begin(), rows_.end(), threshold,
                             [](double t, const Row& r) { return t < r.threshold; });
  if (it == rows_.begin()) return 1.0;
  return std::prev(it)->fnmr[col];
}

template <typename F>
std::optional<double> MatchCalibration::largest_within(F total_fmr, double budget) const {
  std::optional<double> best;
  for (const Row& row : rows_) {
    if (total_fmr(row) > budget) break;
    best = row.threshold;
  }
  return best;
}

double MatchCalibration::one_to_one_threshold(int templates) const {
  if (settings_.fixed_threshold) return *settings_.fixed_threshold;
  const int col = column(templates);
  return largest_within([&](const Row& r) { return fmr_at_row(r, col); }, settings_.target_fmr)
      .value_or(rows_.front().threshold);
}

double MatchCalibration::hinted_threshold(const std::vector<int>& template_counts) const {
  if (template_counts.size() <= 1) {
    return one_to_one_threshold(template_counts.empty() ? 1 : template_counts[0]);
  }
  auto total = [&](const Row& r) {
    double sum = 0;
    for (int k : template_counts) sum += fmr_at_row(r, column(k));
    return sum;
  };
  double t = largest_within(total, settings_.target_fmr).value_or(rows_.front().threshold);
  if (settings_.fixed_threshold) t = std::min(t, *settings_.fixed_threshold);
  return t;
}

double MatchCalibration::expected_fpir(const std::vector<std::int64_t>& by_templates,
                                       double threshold) const {
  double sum = 0;
  for (size_t k = 1; k < by_templates.size(); ++k) {
    sum += static_cast<double>(by_templates[k]) * fmr(static_cast<int>(k), threshold);
  }
  return std::min(1.0, sum);
}

double MatchCalibration::expected_fnmr(const std::vector<std::int64_t>& by_templates,
                                       double threshold) const {
  double accounts = 0, missed = 0;
  for (size_t k = 1; k < by_templates.size(); ++k) {
    accounts += static_cast<double>(by_templates[k]);
    missed += static_cast<double>(by_templates[k]) * fnmr(static_cast<int>(k), threshold);
  }
  return accounts > 0 ? missed / accounts : 0;
}

std::optional<double> MatchCalibration::one_to_many_threshold_by_count(
    const std::vector<std::int64_t>& by_templates) const {
  auto total = [&](const Row& r) {
    double sum = 0;
    for (size_t k = 1; k < by_templates.size(); ++k) {
      sum += static_cast<double>(by_templates[k]) * fmr_at_row(r, column(static_cast<int>(k)));
    }
    return sum;
  };
  auto t = largest_within(total, settings_.face_only_max_fpir);
  if (!t) return std::nullopt;
  double cap = one_to_one_threshold(1);
  for (size_t k = 2; k < by_templates.size(); ++k) {
    if (by_templates[k] > 0) cap = std::min(cap, one_to_one_threshold(static_cast<int>(k)));
  }
  *t = std::min(*t, cap);
  if (expected_fnmr(by_templates, *t) > settings_.face_only_max_fnmr) return std::nullopt;
  return t;
}

std::optional<double> MatchCalibration::one_to_many_threshold(
    const std::vector<int>& template_counts) const {
  std::vector<std::int64_t> by_templates(kMaxTemplates + 1, 0);
  for (int k : template_counts) ++by_templates[column(k) + 1];
  return one_to_many_threshold_by_count(by_templates);
}

double MatchCalibration::duplicate_threshold(std::int64_t accounts) const {
  const double one_to_one = one_to_one_threshold(1);
  if (accounts <= 0) return one_to_one;
  // A new person is compared with every account; accounts have 1..K templates, so the
  // highest FMR over the columns bounds each comparison.
  auto total = [&](const Row& r) {
    double worst = 0;
    for (size_t c = 0; c < r.fmr.size(); ++c) {
      worst = std::max(worst, fmr_at_row(r, static_cast<int>(c)));
    }
    return static_cast<double>(accounts) * worst;
  };
  return std::min(
      one_to_one,
      largest_within(total, settings_.duplicate_max_refusal).value_or(rows_.front().threshold));
}

}  // namespace faceid::face
