// A liveness challenge: the random actions a person must perform in front of the camera, and
// the facts that make a response to it single use (id, expiry, the client it was issued to).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace faceid::liveness {

enum class Action { kTurnLeft, kTurnRight, kLookUp, kBlink };

std::string_view action_name(Action a);  // "turn_left" | "turn_right" | "look_up" | "blink"
std::optional<Action> parse_action(std::string_view name);

struct Challenge {
  std::string id;  // 128-bit random, hex: unguessable, so it doubles as the server nonce
  std::vector<Action> actions;
  std::string client_ip;
  TimePoint issued_at;
  TimePoint expires_at;
};

}  // namespace faceid::liveness
