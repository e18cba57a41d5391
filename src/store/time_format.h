// ISO-8601 UTC text for times kept in the database ("2026-01-02T03:04:05.678Z"): sortable
// as text, readable in a SQL shell.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace faceid::store {

std::string format_time(TimePoint t);
std::optional<TimePoint> parse_time(std::string_view text);

}  // namespace faceid::store
