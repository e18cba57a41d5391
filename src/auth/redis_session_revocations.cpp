// Ended sessions shared through Redis pub/sub. Message: "<forget_after ms> <session id>".
#include "auth/redis_session_revocations.h"

#include <charconv>

#include "redis/redis_client.h"

namespace faceid::auth {
namespace {

// Pub/sub channels are global to a Redis server, not per logical database: the database
// number goes into the name so deployments (and tests) sharing a server stay apart.
std::string channel_for(const redis::RedisUrl& url) {
  return "faceid:" + std::to_string(url.db) + ":sessions-ended";
}

}  // namespace

RedisSessionRevocations::RedisSessionRevocations(redis::RedisClient& client, const Clock& clock,
                                                 const CatchUp& catch_up)
    : client_(client), channel_(channel_for(client.url())), local_(clock) {
  load(catch_up);
  subscription_ = std::make_unique<redis::Subscription>(
      client.url(), channel_,
      [this](const std::string& payload) {
        auto space = payload.find(' ');
        long long ms = 0;
        auto [p, ec] = std::from_chars(payload.data(), payload.data() + space, ms);
        if (space == std::string::npos || ec != std::errc() || p != payload.data() + space) {
          return;
        }
        local_.revoke(payload.substr(space + 1), TimePoint(std::chrono::milliseconds(ms)));
      },
      [this, catch_up] { load(catch_up); }, client.options());
}

RedisSessionRevocations::~RedisSessionRevocations() = default;

void RedisSessionRevocations::load(const CatchUp& catch_up) {
  for (const auto& [id, forget_after] : catch_up()) local_.revoke(id, forget_after);
}

void RedisSessionRevocations::revoke(const std::string& session_id, TimePoint forget_after) {
  local_.revoke(session_id, forget_after);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(forget_after.time_since_epoch());
  // If Redis is down the other replicas learn it from the store when they resubscribe; the
  // store row is written by the caller either way.
  client_.command({"PUBLISH", channel_, std::to_string(ms.count()) + " " + session_id});
}

bool RedisSessionRevocations::is_revoked(const std::string& session_id) {
  return local_.is_revoked(session_id);
}

}  // namespace faceid::auth
