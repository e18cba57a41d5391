// ChallengeService: issues random action challenges and redeems them exactly once, for the
// client they were issued to, before they expire. Thread-safe (state lives in the store).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "liveness/challenge.h"
#include "liveness/challenge_store.h"

namespace faceid::liveness {

struct ChallengeOptions {
  std::chrono::seconds lifetime{60};
  int min_actions = 2;
  int max_actions = 3;
  // The actions a challenge may ask for. look_up is left out by default: no live clip in the
  // test data shows it, so its thresholds are uncalibrated (docs/liveness.md).
  std::vector<Action> action_set{Action::kTurnLeft, Action::kTurnRight, Action::kBlink};
  int min_frames = 8;  // what a response must carry (the page sends ~9/s for 2-4 s)
  int max_frames = 40;
};

class ChallengeService {
 public:
  ChallengeService(ChallengeStore& store, const Clock& clock, ChallengeOptions options = {});

  // A new challenge bound to client_ip: 2-3 random actions, no action twice in a row.
  // Errors: the store's (challenge_store_unavailable).
  Result<Challenge> issue(const std::string& client_ip);

  // Consumes the challenge. Errors: challenge_invalid (never issued, forgotten, or issued to
  // another client), challenge_reused, challenge_expired.
  Result<Challenge> redeem(const std::string& id, const std::string& client_ip);

  const ChallengeOptions& options() const { return options_; }

 private:
  std::vector<Action> random_actions() const;

  ChallengeStore& store_;
  const Clock& clock_;
  const ChallengeOptions options_;
};

}  // namespace faceid::liveness
