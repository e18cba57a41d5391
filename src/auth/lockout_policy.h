// Account lockout rules, as pure logic over failure counts. A lock that anyone can aim at any
// account is a denial of service, so the policy tells apart who is failing and how:
//   - an account locks on max_failures within the window coming from at least min_clients
//     different clients, or on max_failures close-but-wrong faces (a face within
//     close_factor x the match threshold: someone who resembles the owner) from any clients;
//   - far-off faces from one or two clients never lock the account: that client is slowed
//     instead, with a delay per account+client that doubles after free_attempts failures.
// The owner, from their own client, is never slowed by an attacker's failures.
// Thread-safe: LockoutPolicy is immutable after construction.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"

namespace faceid::auth {

struct LockoutOptions {
  int max_failures = 10;                                         // MAX_FAILED_LOGIN_ATTEMPTS
  int min_clients = 3;                                           // distinct clients to lock
  double close_factor = 1.25;                                    // x tolerance: a "close" miss
  std::chrono::seconds window{std::chrono::hours(1)};            // failures counted over this
  std::chrono::seconds lock_duration{std::chrono::minutes(30)};  // ACCOUNT_LOCK_MINUTES
  int free_attempts = 3;                    // per account+client before any delay
  std::chrono::seconds base_delay{2};       // first delay, doubled per further failure
  std::chrono::seconds max_delay{15 * 60};  // delays stop growing here
};

// The account's failures inside the window (all clients).
struct AccountFailures {
  std::int64_t total = 0;
  std::int64_t clients = 0;  // distinct client networks among them (client_networks())
  std::int64_t close = 0;    // close-but-wrong faces among them
};

// How many different clients these addresses are: one per IPv4 /24 and IPv6 /64 (one
// attacker easily holds many addresses of one network); unparsable strings count alone.
std::int64_t client_networks(const std::vector<std::string>& ips);

// One client's failures against one account inside the window.
struct ClientFailures {
  std::int64_t count = 0;
  std::optional<TimePoint> last_at;
};

struct LockDecision {
  bool lock = false;                      // true: lock the account now
  std::optional<TimePoint> locked_until;  // set when lock is true
  const char* rule = "";                  // "many_clients" | "close_faces" (logs, metrics)
};

class LockoutPolicy {
 public:
  explicit LockoutPolicy(LockoutOptions options) : options_(options) {}

  // Failures at or after this instant count.
  TimePoint window_start(TimePoint now) const { return now - options_.window; }
  // The largest distance that still counts as a close-but-wrong face.
  double close_distance(double tolerance) const { return tolerance * options_.close_factor; }

  LockDecision evaluate(const AccountFailures& failures, TimePoint now) const;

  // The delay this client has earned against this account (zero below free_attempts).
  std::chrono::seconds client_delay(std::int64_t failures) const;
  // When the client may try this account again; nullopt: now.
  std::optional<TimePoint> throttled_until(const ClientFailures& failures, TimePoint now) const;

  const LockoutOptions& options() const { return options_; }

 private:
  LockoutOptions options_;
};

// True while `locked_until` lies in the future; a lock expires by itself at locked_until.
bool is_locked(std::optional<TimePoint> locked_until, TimePoint now);

}  // namespace faceid::auth
