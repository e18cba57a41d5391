// ConnectionLimits: counts open connections in total, per peer address and per network (/24
// for IPv4, /64 for IPv6: one host usually holds many addresses of its network), so neither
// one client, one network nor everyone together can hold more sockets than the caps. Trusted
// proxies are exempt from the per-address and per-network caps (every client behind them
// shares their address). Thread-safe.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/ip_network.h"  // network_of

namespace faceid::http {

class ConnectionLimits {
 public:
  enum class Cap { kNone, kTotal, kNetwork, kAddress };
  // The outcome of try_acquire: admitted, or the cap that refused.
  struct Admission {
    Cap refused_by = Cap::kNone;
    explicit operator bool() const { return refused_by == Cap::kNone; }
  };

  ConnectionLimits(std::size_t max_total, std::size_t max_per_ip,
                   std::vector<std::string> exempt_ips, std::size_t max_per_network = 0);

  // Takes a slot for `ip`; refused when a cap is reached (nothing taken then).
  Admission try_acquire(const std::string& ip);
  void release(const std::string& ip);
  std::size_t total() const;
  std::size_t max_total() const { return max_total_; }

 private:
  bool exempt(const std::string& ip) const;

  const std::size_t max_total_;
  const std::size_t max_per_ip_;
  const std::size_t max_per_network_;  // 0: 4 x max_per_ip
  const std::vector<std::string> exempt_;
  mutable std::mutex mutex_;
  std::size_t total_ = 0;                                     // guarded by mutex_
  std::unordered_map<std::string, std::size_t> per_ip_;       // guarded by mutex_
  std::unordered_map<std::string, std::size_t> per_network_;  // guarded by mutex_
};

}  // namespace faceid::http
