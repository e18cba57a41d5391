// Challenges in Redis: JSON data plus a taken flag per hash, marked by one atomic script.
#include "liveness/redis_challenge_store.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "redis/redis_client.h"

namespace faceid::liveness {
namespace {

// KEYS[1] = challenge key; ARGV = JSON, time to live in ms. A fresh challenge, not yet taken.
const redis::Script kPut{R"lua(
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'taken', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
)lua"};

// KEYS[1] = challenge key. Returns nil (unknown or forgotten) or {data, previous taken flag},
// and marks the challenge taken: read and mark in one step, so only one caller sees '0'.
const redis::Script kTake{R"lua(
local data = redis.call('HGET', KEYS[1], 'data')
if not data then return nil end
local taken = redis.call('HGET', KEYS[1], 'taken') or '0'
redis.call('HSET', KEYS[1], 'taken', '1')
return {data, taken}
)lua"};

Error unavailable(const std::string& why) {
  return make_error("challenge_store_unavailable", "challenge store unavailable: " + why);
}

// Times as the clock's own ticks, so a challenge reads back exactly as it was issued.
std::string to_json(const Challenge& c) {
  nlohmann::json actions = nlohmann::json::array();
  for (Action a : c.actions) actions.push_back(std::string(action_name(a)));
  return nlohmann::json{{"id", c.id},
                        {"actions", std::move(actions)},
                        {"client_ip", c.client_ip},
                        {"issued_at", c.issued_at.time_since_epoch().count()},
                        {"expires_at", c.expires_at.time_since_epoch().count()}}
      .dump();
}

std::optional<Challenge> from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  try {
    Challenge c;
    c.id = j.at("id").get<std::string>();
    c.client_ip = j.at("client_ip").get<std::string>();
    c.issued_at = TimePoint(TimePoint::duration(j.at("issued_at").get<TimePoint::rep>()));
    c.expires_at = TimePoint(TimePoint::duration(j.at("expires_at").get<TimePoint::rep>()));
    for (const auto& name : j.at("actions")) {
      auto a = parse_action(name.get<std::string>());
      if (!a) return std::nullopt;
      c.actions.push_back(*a);
    }
    return c;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace

RedisChallengeStore::RedisChallengeStore(redis::RedisClient& client, const Clock& clock,
                                         std::chrono::seconds reuse_memory, std::string prefix)
    : client_(client), clock_(clock), reuse_memory_(reuse_memory), prefix_(std::move(prefix)) {}

Status RedisChallengeStore::put(const Challenge& c) {
  // Relative to the injected clock (not Redis's), as the in-process store counts it.
  auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(c.expires_at + reuse_memory_ -
                                                                   clock_.now());
  ttl = std::max(ttl, std::chrono::milliseconds(1));
  auto r = client_.eval(kPut, {prefix_ + c.id}, {to_json(c), std::to_string(ttl.count())});
  if (!r) return unavailable(r.error().message);
  return {};
}

Result<std::optional<TakenChallenge>> RedisChallengeStore::take(const std::string& id) {
  auto r = client_.eval(kTake, {prefix_ + id}, {});
  if (!r) return unavailable(r.error().message);
  if (r->type == redis::Reply::Type::kNil) return std::optional<TakenChallenge>();
  if (r->type != redis::Reply::Type::kArray || r->elements.size() != 2) {
    return unavailable("unexpected reply from the take script");
  }
  auto c = from_json(r->elements[0].str);
  if (!c) return unavailable("stored challenge is malformed");
  return std::optional<TakenChallenge>(TakenChallenge{std::move(*c), r->elements[1].str == "1"});
}

}  // namespace faceid::liveness
