// ConnectionLimits: counts open connections in total and per peer address, so one client (or
// everyone together) cannot hold more sockets than the caps. Trusted proxies are exempt from
// the per-address cap (every client behind them shares their address). Thread-safe.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace faceid::http {

class ConnectionLimits {
 public:
  ConnectionLimits(std::size_t max_total, std::size_t max_per_ip,
                   std::vector<std::string> exempt_ips);

  // Takes a slot for `ip`; false when a cap is reached (nothing taken).
  bool try_acquire(const std::string& ip);
  void release(const std::string& ip);
  std::size_t total() const;
  std::size_t max_total() const { return max_total_; }

 private:
  const std::size_t max_total_;
  const std::size_t max_per_ip_;
  const std::vector<std::string> exempt_;
  mutable std::mutex mutex_;
  std::size_t total_ = 0;                                // guarded by mutex_
  std::unordered_map<std::string, std::size_t> per_ip_;  // guarded by mutex_
};

}  // namespace faceid::http
