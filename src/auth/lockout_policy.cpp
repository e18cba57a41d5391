// LockoutPolicy: which failure patterns lock an account, and how long a client waits.
#include "auth/lockout_policy.h"

#include <algorithm>
#include <set>

#include "common/ip_network.h"

namespace faceid::auth {

std::int64_t client_networks(const std::vector<std::string>& ips) {
  std::set<std::string> networks;
  for (const auto& ip : ips) networks.insert(network_of(ip));
  return static_cast<std::int64_t>(networks.size());
}

LockDecision LockoutPolicy::evaluate(const AccountFailures& f, TimePoint now) const {
  LockDecision decision;
  // max_failures <= 0 disables lockout rather than locking on every request.
  if (options_.max_failures <= 0) return decision;
  if (f.close >= options_.max_failures) {
    decision.rule = "close_faces";
  } else if (f.total >= options_.max_failures && f.clients >= options_.min_clients) {
    decision.rule = "many_clients";
  } else {
    return decision;
  }
  decision.lock = true;
  decision.locked_until = now + options_.lock_duration;
  return decision;
}

std::chrono::seconds LockoutPolicy::client_delay(std::int64_t failures) const {
  std::int64_t over = failures - options_.free_attempts;
  if (over < 0) return std::chrono::seconds(0);
  // Doubling from base_delay; the shift is bounded long before it could overflow.
  std::int64_t factor = std::int64_t{1} << std::min<std::int64_t>(over, 20);
  return std::min(options_.base_delay * factor, options_.max_delay);
}

std::optional<TimePoint> LockoutPolicy::throttled_until(const ClientFailures& f,
                                                        TimePoint now) const {
  auto delay = client_delay(f.count);
  if (delay.count() == 0 || !f.last_at) return std::nullopt;
  TimePoint until = *f.last_at + delay;
  if (until <= now) return std::nullopt;
  return until;
}

bool is_locked(std::optional<TimePoint> locked_until, TimePoint now) {
  return locked_until.has_value() && now < *locked_until;
}

}  // namespace faceid::auth
