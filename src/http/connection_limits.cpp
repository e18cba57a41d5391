// ConnectionLimits implementation.
#include "http/connection_limits.h"

#include <algorithm>

namespace faceid::http {
namespace {

constexpr std::size_t kNetworksPerAddressCap = 4;

void decrement(std::unordered_map<std::string, std::size_t>& counts, const std::string& key) {
  auto it = counts.find(key);
  if (it != counts.end() && --it->second == 0) counts.erase(it);
}

}  // namespace

ConnectionLimits::ConnectionLimits(std::size_t max_total, std::size_t max_per_ip,
                                   std::vector<std::string> exempt_ips, std::size_t max_per_network)
    : max_total_(max_total),
      max_per_ip_(max_per_ip),
      max_per_network_(max_per_network > 0 ? max_per_network : kNetworksPerAddressCap * max_per_ip),
      exempt_(std::move(exempt_ips)) {}

bool ConnectionLimits::exempt(const std::string& ip) const {
  return std::any_of(exempt_.begin(), exempt_.end(),
                     [&](const std::string& e) { return e == "*" || e == ip; });
}

ConnectionLimits::Admission ConnectionLimits::try_acquire(const std::string& ip) {
  bool is_exempt = exempt(ip);
  std::string network = network_of(ip);
  std::lock_guard lock(mutex_);
  if (total_ >= max_total_) return {Cap::kTotal};
  if (!is_exempt) {
    auto mine = per_ip_.find(ip);
    if (mine != per_ip_.end() && mine->second >= max_per_ip_) return {Cap::kAddress};
    auto ours = per_network_.find(network);
    if (ours != per_network_.end() && ours->second >= max_per_network_) return {Cap::kNetwork};
  }
  ++per_ip_[ip];
  ++per_network_[network];
  ++total_;
  return {};
}

void ConnectionLimits::release(const std::string& ip) {
  std::string network = network_of(ip);
  std::lock_guard lock(mutex_);
  if (per_ip_.find(ip) == per_ip_.end()) return;
  --total_;
  decrement(per_ip_, ip);
  decrement(per_network_, network);
}

std::size_t ConnectionLimits::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace faceid::http
