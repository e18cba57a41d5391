// The network a client address counts against: one host usually holds many addresses of its
// network, so per-client limits (connection caps, lockout) count "a.b.c.0/24" for IPv4 and the
// first 64 bits for IPv6. Anything that does not parse counts as itself.
#pragma once

#include <arpa/inet.h>

#include <cstdio>
#include <string>

namespace faceid {

inline std::string network_of(const std::string& ip) {
  unsigned char b[16] = {};
  char text[48];
  if (inet_pton(AF_INET, ip.c_str(), b) == 1) {
    std::snprintf(text, sizeof(text), "%u.%u.%u.0/24", b[0], b[1], b[2]);
    return text;
  }
  if (inet_pton(AF_INET6, ip.c_str(), b) != 1) return ip;
  std::string out;
  for (int i = 0; i < 8; i += 2) {
    std::snprintf(text, sizeof(text), "%x:", (b[i] << 8) | b[i + 1]);
    out += text;
  }
  return out + ":/64";
}

}  // namespace faceid
