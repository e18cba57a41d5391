// Two `faceid serve` replicas on one PostgreSQL + Redis, as behind a load balancer: what one
// replica decides (rate limits, locks, revocations, the owner of a face, the schema) holds on
// the other. And the fault tests: PostgreSQL or Redis crashing under load loses nothing that
// was acknowledged, half-does nothing, and the service recovers without a restart.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "e2e/api_test_support.h"
#include "liveness/challenge_actions.h"
#include "liveness/clip_frames.h"
#include "support/backends.h"
#include "support/commit_cutting_proxy.h"

namespace faceid::testing {
namespace {

Env replica_env(const std::string& db, const std::string& redis, Env extra = {}) {
  extra["DATABASE_URL"] = db;
  extra["REDIS_URL"] = redis;
  return recognition_env(extra);
}

// Two replicas sharing a fresh database and Redis database.
struct Pair {
  explicit Pair(Env extra = {})
      : db(Backends::shared().fresh_database_url()),
        redis(Backends::shared().fresh_redis_url()),
        a(replica_env(db, redis, extra)),
        b(replica_env(db, redis, extra)) {}
  std::string db, redis;
  ServerProcess a, b;
};

TEST(ReplicasTest, RateLimitCountsAcrossBothReplicas) {
  Pair p(Env{{"RATE_LIMIT_ENABLED", "true"},
             {"RATE_LIMIT_LOGIN", "4/minute"},
             {"RATE_LIMIT_DEFAULT", "1000/hour"}});
  ASSERT_TRUE(p.a.running() && p.b.running()) << p.a.output() << p.b.output();
  HttpClient a(p.a.base_url()), b(p.b.base_url());
  std::string face = photo("biden_1.jpg");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(login(i % 2 == 0 ? a : b, face).status, 401) << i;
  EXPECT_EQ(login(a, face).status, 429);
  EXPECT_EQ(login(b, face).status, 429);
}

HttpResult verify_from(HttpClient& c, const std::string& ip, const std::string& username,
                       const std::string& image) {
  return c.post_multipart("/api/v1/auth/verify",
                          {{"username", username}, {"face_image", image, "face.jpg"}},
                          {{"X-Forwarded-For", ip}});
}

TEST(ReplicasTest, AccountLockedThroughOneIsLockedOnTheOther) {
  // Failures from three clients (networks) lock the account (the hardened lockout policy),
  // spread over both replicas: the counts live in the shared database.
  Pair p(Env{{"MAX_FAILED_LOGIN_ATTEMPTS", "3"}, {"TRUSTED_PROXIES", "*"}});
  ASSERT_TRUE(p.a.running() && p.b.running());
  HttpClient a(p.a.base_url()), b(p.b.base_url());
  ASSERT_EQ(register_user(a, "obama", photo("obama_1.jpg")).status, 201);
  ASSERT_EQ(verify(b, "obama", photo("obama_2.jpg")).status, 200);
  EXPECT_EQ(verify_from(a, "10.0.1.1", "obama", photo("biden_1.jpg")).status, 401);
  EXPECT_EQ(verify_from(b, "10.0.2.1", "obama", photo("biden_1.jpg")).status, 401);
  EXPECT_EQ(verify_from(a, "10.0.3.1", "obama", photo("biden_1.jpg")).status, 401);
  EXPECT_EQ(verify_from(b, "10.0.4.1", "obama", photo("obama_2.jpg")).status, 401);
  EXPECT_EQ(verify_from(a, "10.0.5.1", "obama", photo("obama_2.jpg")).status, 401);
  EXPECT_EQ(login(b, photo("obama_3.jpg")).status, 401);
}

TEST(ReplicasTest, RefreshTokenRevokedThroughOneIsRefusedByTheOther) {
  Pair p;
  ASSERT_TRUE(p.a.running() && p.b.running());
  HttpClient a(p.a.base_url()), b(p.b.base_url());
  ASSERT_EQ(register_user(a, "obama", photo("obama_1.jpg")).status, 201);
  std::string r1 = login(a, photo("obama_2.jpg")).json()["refresh_token"];
  auto rotated = b.post_json("/api/v1/auth/refresh", {{"refresh_token", r1}});
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  std::string r2 = rotated.json()["refresh_token"];
  // r1 was rotated on b: replaying it on a is a reuse, which revokes r2 as well.
  EXPECT_EQ(a.post_json("/api/v1/auth/refresh", {{"refresh_token", r1}}).status, 401);
  EXPECT_EQ(b.post_json("/api/v1/auth/refresh", {{"refresh_token", r2}}).status, 401);
  // Logout on one replica ends the session on the other: its refresh token (a row in the
  // database) and at once its access token (each replica's revocation set, kept in step
  // through Redis pub/sub).
  auto session = login(b, photo("obama_2.jpg")).json();
  std::string r3 = session["refresh_token"], access = session["access_token"];
  ASSERT_EQ(b.get("/api/v1/users/me", bearer(access)).status, 200);
  EXPECT_EQ(a.post_json("/api/v1/auth/logout", {{"refresh_token", r3}}).status, 200);
  EXPECT_EQ(b.post_json("/api/v1/auth/refresh", {{"refresh_token", r3}}).status, 401);
  int me = 200;
  for (int i = 0; i < 50 && me == 200; ++i) {  // a pub/sub message: milliseconds, not a poll
    me = b.get("/api/v1/users/me", bearer(access)).status;
    if (me == 200) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(me, 401);
}

// A liveness challenge issued by one replica is answered on the other (the challenge lives in
// Redis), and only once: replaying the same response on the issuing replica is a reuse.
TEST(ReplicasTest, ChallengeIssuedByOneIsAnsweredOnTheOtherOnlyOnce) {
  TempDir frames;
  ASSERT_TRUE(cut_every_third_frame("webcam_blink_turns_tfjs.mp4", frames, "tfjs"));
  Pair p(Env{{"LIVENESS_ENABLED", "true"}});
  ASSERT_TRUE(p.a.running() && p.b.running()) << p.a.output() << p.b.output();
  HttpClient a(p.a.base_url()), b(p.b.base_url());
  struct Issued {
    std::string id;
    std::vector<Part> parts;  // challenge_id + the live frames for its actions
  };
  auto issue_on = [&](HttpClient& c) {
    auto r = c.post_json("/api/v1/liveness/challenges", nlohmann::json::object());
    EXPECT_EQ(r.status, 201) << r.body;
    auto j = r.json();
    Issued out{j.value("challenge_id", ""), {}};
    out.parts.push_back({"challenge_id", out.id});
    int i = 0;
    for (int n : tfjs_frames_for(j.value("actions", std::vector<std::string>{}))) {
      out.parts.push_back(
          {"frames", clip_frame(frames, "tfjs", n), "frame" + std::to_string(i++) + ".jpg"});
    }
    return out;
  };
  Issued enrol = issue_on(a);
  auto reg_parts = enrol.parts;
  reg_parts.push_back({"username", "tfjs"});
  reg_parts.push_back({"email", "tfjs@example.com"});
  reg_parts.push_back({"password", "Correct-Horse-42"});
  auto reg = b.post_multipart("/api/v1/auth/register", reg_parts);  // issued on a, used on b
  ASSERT_EQ(reg.status, 201) << reg.body;

  Issued ch = issue_on(a);
  auto first = b.post_multipart("/api/v1/auth/login", ch.parts);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.json()["amr"], nlohmann::json({"face", "liveness_challenge"}));
  auto again = a.post_multipart("/api/v1/auth/login", ch.parts);
  EXPECT_EQ(again.status, 400) << again.body;
  EXPECT_EQ(again.json()["error"].value("code", ""), "challenge_reused");
  auto third = b.post_multipart("/api/v1/auth/login", ch.parts);
  EXPECT_EQ(third.json()["error"].value("code", ""), "challenge_reused");
}

TEST(ReplicasTest, SameFaceRegisteredThroughBothAtOnceYieldsOneAccount) {
  Pair p;
  ASSERT_TRUE(p.a.running() && p.b.running());
  const char* people[] = {"obama", "biden", "kit_harington"};
  for (const char* person : people) {
    auto on = [&](ServerProcess& s, const std::string& name, const std::string& file) {
      return std::async(std::launch::async, [&s, name, file] {
        HttpClient c(s.base_url());
        return register_user(c, name, photo(file)).status;
      });
    };
    auto x = on(p.a, std::string(person) + "_a", std::string(person) + "_1.jpg");
    auto y = on(p.b, std::string(person) + "_b", std::string(person) + "_2.jpg");
    // The loser gets the neutral refusal (it must not reveal that the face is enrolled).
    std::multiset<int> got = {x.get(), y.get()};
    EXPECT_EQ(got, (std::multiset<int>{201, 400})) << person;
  }
  EXPECT_EQ(Backends::query(p.db, "SELECT count(*) FROM users"), "3");
}

TEST(ReplicasTest, TwoReplicasStartingAtOnceApplyEachMigrationExactlyOnce) {
  std::string db = Backends::shared().fresh_database_url();
  std::string redis = Backends::shared().fresh_redis_url();
  std::unique_ptr<ServerProcess> a, b;
  std::thread ta([&] { a = std::make_unique<ServerProcess>(replica_env(db, redis)); });
  std::thread tb([&] { b = std::make_unique<ServerProcess>(replica_env(db, redis)); });
  ta.join();
  tb.join();
  ASSERT_TRUE(a->running()) << a->output();
  ASSERT_TRUE(b->running()) << b->output();
  std::string applied = Backends::query(db, "SELECT count(*) FROM schema_migrations");
  EXPECT_EQ(Backends::query(db, "SELECT count(DISTINCT version) FROM schema_migrations"), applied);
  // Between them the two logs report every migration once: one applied them, one found them.
  auto count_applied = [](const std::string& log) {
    auto at = log.find("\"applied\":");
    return at == std::string::npos ? -1 : std::stoi(log.substr(at + 10));
  };
  a->stop();  // flushes the logs
  b->stop();
  int sum = count_applied(read_file(a->log_file())) + count_applied(read_file(b->log_file()));
  EXPECT_EQ(std::to_string(sum), applied);
  EXPECT_NE(applied, "0");
}

// --- faults ---------------------------------------------------------------------------------

TEST(FaultTest, PostgresCrashDuringRegistrationsLosesNothingAndHalfDoesNothing) {
  auto backends = Backends::start_private();
  std::string db = backends->fresh_database_url();
  ServerProcess server(
      replica_env(db, backends->fresh_redis_url(), {{"REJECT_DUPLICATE_FACES", "false"}}));
  ASSERT_TRUE(server.running()) << server.output();
  std::atomic<bool> stop{false};
  std::vector<std::pair<std::string, int>> results;  // username -> status
  std::thread stream([&] {
    HttpClient c(server.base_url());
    std::string face = photo("obama_1.jpg");
    for (int i = 0; !stop; ++i) {
      std::string name = "user" + std::to_string(i);
      results.emplace_back(name, register_user(c, name, face).status);
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  backends->kill_postgres();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  HttpClient probe(server.base_url());
  auto ready = probe.get("/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.json()["checks"]["store"], "store_unavailable");
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  backends->start_postgres();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  stop = true;
  stream.join();

  int ok = 0, unavailable = 0;
  for (const auto& [name, status] : results) {
    std::string n = Backends::query(db,
                                    "SELECT count(*) FROM users u JOIN face_templates t ON "
                                    "t.user_id = u.id WHERE u.username = '" +
                                        name + "'");
    if (status == 201) {
      ++ok;
      EXPECT_EQ(n, "1") << name << " was acknowledged but is missing";
    } else {
      EXPECT_EQ(status, 503) << name;
      ++unavailable;
      EXPECT_EQ(n, "0") << name << " failed but was (half) written";
    }
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(unavailable, 0);
  EXPECT_EQ(results.back().second, 201) << "no recovery after the restart";
  EXPECT_EQ(probe.get("/ready").status, 200);
}

TEST(FaultTest, RegistrationWhoseCommitWasCutOffIsAnsweredByWhatTheDatabaseHolds) {
  // The server reaches PostgreSQL through a proxy that drops the connection at the next
  // COMMIT: after the server committed it (the account exists: 201) or before (503, nothing).
  const Backends& backends = Backends::shared();
  CommitCuttingProxy proxy(backends.pg_port);
  std::string db = backends.fresh_database_url();
  std::string via_proxy = db;
  const std::string port = ":" + std::to_string(backends.pg_port) + "/";
  via_proxy.replace(via_proxy.find(port), port.size(), ":" + std::to_string(proxy.port()) + "/");
  ServerProcess server(replica_env(via_proxy + "?sslmode=disable", backends.fresh_redis_url()));
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient c(server.base_url());
  auto users = [&](const std::string& name) {
    return Backends::query(db,
                           "SELECT count(*) FROM users u JOIN face_templates t ON "
                           "t.user_id = u.id WHERE u.username = '" +
                               name + "'");
  };

  proxy.arm(CommitCuttingProxy::Cut::kAfterCommit);
  auto created = register_user(c, "obama", photo("obama_1.jpg"));
  EXPECT_EQ(proxy.cuts(), 1);
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(users("obama"), "1");
  EXPECT_EQ(login(c, photo("obama_2.jpg")).status, 200);

  proxy.arm(CommitCuttingProxy::Cut::kBeforeCommit);
  auto lost = register_user(c, "biden", photo("biden_1.jpg"));
  EXPECT_EQ(proxy.cuts(), 2);
  EXPECT_EQ(lost.status, 503) << lost.body;
  EXPECT_EQ(lost.json()["error"]["code"], "service_unavailable");
  EXPECT_EQ(users("biden"), "0");
  EXPECT_EQ(register_user(c, "biden", photo("biden_1.jpg")).status, 201);  // the retry
}

TEST(FaultTest, RedisCrashFailsLoginsClosedAndTheyRecoverWithoutRestart) {
  auto backends = Backends::start_private();
  ServerProcess server(replica_env(backends->fresh_database_url(), backends->fresh_redis_url(),
                                   {{"RATE_LIMIT_ENABLED", "true"},
                                    {"RATE_LIMIT_LOGIN", "1000/minute"},
                                    {"RATE_LIMIT_DEFAULT", "1000/hour"}}));
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient c(server.base_url());
  ASSERT_EQ(register_user(c, "obama", photo("obama_1.jpg")).status, 201);
  ASSERT_EQ(login(c, photo("obama_2.jpg")).status, 200);
  backends->kill_redis();
  auto refused = login(c, photo("obama_2.jpg"));
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.json()["error"]["code"], "service_unavailable");
  EXPECT_EQ(verify(c, "obama", photo("obama_2.jpg")).status, 503);
  EXPECT_EQ(register_user(c, "biden", photo("biden_1.jpg")).status, 503);
  EXPECT_EQ(c.post_json("/api/v1/auth/refresh", {{"refresh_token", "x"}}).status, 503);
  auto ready = c.get("/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.json()["checks"]["rate_limiter"], "rate_limiter_unavailable");
  backends->start_redis();
  int status = 0;
  for (int i = 0; i < 60 && status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    status = login(c, photo("obama_2.jpg")).status;
  }
  EXPECT_EQ(status, 200);
  EXPECT_EQ(c.get("/ready").status, 200);
  // The refused registration left nothing behind.
  EXPECT_EQ(verify(c, "biden", photo("biden_2.jpg")).status, 401);
}

TEST(FaultTest, FailOpenLetsLoginsThroughWhileRedisIsDown) {
  auto backends = Backends::start_private();
  ServerProcess server(
      replica_env(backends->fresh_database_url(), backends->fresh_redis_url(),
                  {{"RATE_LIMIT_ENABLED", "true"}, {"RATE_LIMIT_FAIL_OPEN", "true"}}));
  ASSERT_TRUE(server.running()) << server.output();
  HttpClient c(server.base_url());
  ASSERT_EQ(register_user(c, "obama", photo("obama_1.jpg")).status, 201);
  backends->kill_redis();
  EXPECT_EQ(login(c, photo("obama_2.jpg")).status, 200);
  EXPECT_EQ(c.get("/ready").status, 503);  // still reported, so operators see it
}

}  // namespace
}  // namespace faceid::testing
