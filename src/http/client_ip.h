// Which address a request came from, given the peer and X-Forwarded-For.
#pragma once

#include <string>
#include <vector>

namespace faceid::http {

// The address a request really came from: the peer, or, when the peer is a trusted proxy,
// the right-most untrusted address of X-Forwarded-For. "*" trusts every peer.
std::string resolve_client_ip(const std::string& peer, const std::string& forwarded_for,
                              const std::vector<std::string>& trusted_proxies);

}  // namespace faceid::http
