// Challenge issuing and redemption. Randomness comes from libsodium (the id is the nonce an
// attacker must not predict; the actions must not be predictable either, or a replay could
// be prepared in advance).
#include "liveness/challenge_service.h"

#include <sodium.h>

#include <array>
#include <stdexcept>

namespace faceid::liveness {

std::string_view action_name(Action a) {
  switch (a) {
    case Action::kTurnLeft:
      return "turn_left";
    case Action::kTurnRight:
      return "turn_right";
    case Action::kLookUp:
      return "look_up";
    case Action::kBlink:
      return "blink";
  }
  return "";
}

std::optional<Action> parse_action(std::string_view name) {
  for (Action a : {Action::kTurnLeft, Action::kTurnRight, Action::kLookUp, Action::kBlink}) {
    if (action_name(a) == name) return a;
  }
  return std::nullopt;
}

namespace {

std::string random_id() {
  std::array<unsigned char, 16> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char, 33> hex{};
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  return std::string(hex.data());
}

}  // namespace

ChallengeService::ChallengeService(ChallengeStore& store, const Clock& clock,
                                   ChallengeOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  if (options_.action_set.size() < 2 || options_.min_actions < 1 ||
      options_.max_actions < options_.min_actions) {
    throw std::invalid_argument("challenge options: need >= 2 actions and min <= max");
  }
}

std::vector<Action> ChallengeService::random_actions() const {
  const auto span = static_cast<uint32_t>(options_.max_actions - options_.min_actions + 1);
  const int count = options_.min_actions + static_cast<int>(randombytes_uniform(span));
  const auto n = static_cast<uint32_t>(options_.action_set.size());
  std::vector<Action> out;
  while (static_cast<int>(out.size()) < count) {
    Action a = options_.action_set[randombytes_uniform(n)];
    if (!out.empty() && out.back() == a) continue;  // no action twice in a row
    out.push_back(a);
  }
  return out;
}

Result<Challenge> ChallengeService::issue(const std::string& client_ip) {
  Challenge c;
  c.id = random_id();
  c.actions = random_actions();
  c.client_ip = client_ip;
  c.issued_at = clock_.now();
  c.expires_at = c.issued_at + options_.lifetime;
  if (Status s = store_.put(c); !s) return s.error();
  return c;
}

Result<Challenge> ChallengeService::redeem(const std::string& id, const std::string& client_ip) {
  auto taken = store_.take(id);
  if (!taken) return taken.error();
  // Another client's challenge reads as unknown: ids do not leak across clients.
  if (!taken->has_value() || (*taken)->challenge.client_ip != client_ip) {
    return make_error("challenge_invalid", "Unknown liveness challenge: request a new one");
  }
  if ((*taken)->already_taken) {
    return make_error("challenge_reused", "This liveness challenge was already used");
  }
  if (clock_.now() >= (*taken)->challenge.expires_at) {
    return make_error("challenge_expired", "The liveness challenge expired: request a new one");
  }
  return (*taken)->challenge;
}

}  // namespace faceid::liveness
