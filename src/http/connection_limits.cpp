// ConnectionLimits implementation.
#include "http/connection_limits.h"

#include <algorithm>

namespace faceid::http {

ConnectionLimits::ConnectionLimits(std::size_t max_total, std::size_t max_per_ip,
                                   std::vector<std::string> exempt_ips)
    : max_total_(max_total), max_per_ip_(max_per_ip), exempt_(std::move(exempt_ips)) {}

bool ConnectionLimits::try_acquire(const std::string& ip) {
  bool exempt = std::any_of(exempt_.begin(), exempt_.end(),
                            [&](const std::string& e) { return e == "*" || e == ip; });
  std::lock_guard lock(mutex_);
  if (total_ >= max_total_) return false;
  std::size_t& mine = per_ip_[ip];
  if (!exempt && mine >= max_per_ip_) {
    if (mine == 0) per_ip_.erase(ip);
    return false;
  }
  ++mine;
  ++total_;
  return true;
}

void ConnectionLimits::release(const std::string& ip) {
  std::lock_guard lock(mutex_);
  auto it = per_ip_.find(ip);
  if (it == per_ip_.end()) return;
  --total_;
  if (--it->second == 0) per_ip_.erase(it);
}

std::size_t ConnectionLimits::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace faceid::http
