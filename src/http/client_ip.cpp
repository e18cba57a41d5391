// Client address resolution through TRUSTED_PROXIES.
#include "http/client_ip.h"

#include <algorithm>
#include <sstream>

namespace faceid::http {
namespace {

bool trusted(const std::string& ip, const std::vector<std::string>& proxies) {
  return std::any_of(proxies.begin(), proxies.end(),
                     [&](const std::string& p) { return p == "*" || p == ip; });
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

std::string resolve_client_ip(const std::string& peer, const std::string& forwarded_for,
                              const std::vector<std::string>& trusted_proxies) {
  if (forwarded_for.empty() || !trusted(peer, trusted_proxies)) return peer;
  std::vector<std::string> hops;
  std::stringstream ss(forwarded_for);
  std::string hop;
  while (std::getline(ss, hop, ',')) hops.push_back(trim(hop));
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (it->empty()) continue;
    if (!trusted(*it, trusted_proxies) || std::next(it) == hops.rend()) return *it;
  }
  return peer;
}

}  // namespace faceid::http
