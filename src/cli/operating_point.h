// The match decisions in force, read off the calibration table at the current number of
// accounts: what the start-up log line and /metrics state (docs/accuracy.md).
#pragma once

#include <cstdint>
#include <vector>

#include "common/result.h"
#include "face/match_calibration.h"
#include "observability/auth_metrics.h"
#include "observability/logger.h"

namespace faceid::cli {

// accounts_by_templates[k]: active accounts with k templates (Store::accounts_by_template_count).
observability::MatchOperatingPoint operating_point(
    const face::MatchCalibration& calibration,
    const std::vector<std::int64_t>& accounts_by_templates);

void log_operating_point(observability::Logger& logger, const face::MatchCalibration& calibration,
                         const Result<std::vector<std::int64_t>>& accounts_by_templates);

}  // namespace faceid::cli
