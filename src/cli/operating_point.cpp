// See operating_point.h.
#include "cli/operating_point.h"

namespace faceid::cli {

observability::MatchOperatingPoint operating_point(
    const face::MatchCalibration& calibration,
    const std::vector<std::int64_t>& accounts_by_templates) {
  observability::MatchOperatingPoint p;
  p.one_to_one_threshold = calibration.one_to_one_threshold(1);
  p.one_to_one_fmr = calibration.fmr(1, p.one_to_one_threshold);
  p.one_to_one_fnmr = calibration.fnmr(1, p.one_to_one_threshold);
  if (auto t = calibration.one_to_many_threshold_by_count(accounts_by_templates)) {
    p.face_only = true;
    p.face_only_threshold = *t;
    p.face_only_fpir = calibration.expected_fpir(accounts_by_templates, *t);
    p.face_only_fnmr = calibration.expected_fnmr(accounts_by_templates, *t);
  }
  return p;
}

void log_operating_point(observability::Logger& logger, const face::MatchCalibration& calibration,
                         const Result<std::vector<std::int64_t>>& accounts_by_templates) {
  const auto& s = calibration.settings();
  observability::Fields fields{
      {"face_match_fmr", s.target_fmr},
      {"face_only_max_fpir", s.face_only_max_fpir},
      {"face_only_max_fnmr", s.face_only_max_fnmr},
      {"threshold_1_template", calibration.one_to_one_threshold(1)},
      {"fmr_1_template", calibration.fmr(1, calibration.one_to_one_threshold(1))},
      {"fnmr_1_template", calibration.fnmr(1, calibration.one_to_one_threshold(1))},
      {"threshold_3_templates", calibration.one_to_one_threshold(3)},
      {"fmr_3_templates", calibration.fmr(3, calibration.one_to_one_threshold(3))},
      {"fnmr_3_templates", calibration.fnmr(3, calibration.one_to_one_threshold(3))},
      {"fixed_threshold", s.fixed_threshold.has_value()}};
  if (accounts_by_templates) {
    const auto p = operating_point(calibration, *accounts_by_templates);
    long long accounts = 0;  // the logger's integer type
    for (auto n : *accounts_by_templates) accounts += n;
    fields.emplace_back("accounts", accounts);
    fields.emplace_back("face_only", p.face_only);
    if (p.face_only) {
      fields.emplace_back("face_only_threshold", p.face_only_threshold);
      fields.emplace_back("face_only_expected_fpir", p.face_only_fpir);
      fields.emplace_back("face_only_expected_fnmr", p.face_only_fnmr);
    }
  }
  logger.info("match operating point", fields);
}

}  // namespace faceid::cli
