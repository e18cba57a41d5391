// bench_pgvector: the PostgreSQL store's 1:N face search at scale (issue 12): HNSW index
// build time and size, table size, p50/p99 search latency through PostgresStore::search_faces
// (the login path, k = 5) and identity recall@1 against exact search, for several
// hnsw.ef_search values; plus the Redis rate-limiter round trip.
//
// usage: bench_pgvector ADMIN_URL REDIS_URL [N=100000] [--queries=1000] [--ef=20,40,100,200]
//                      [--db=NAME]
//   ADMIN_URL: a PostgreSQL (pgvector) URL allowed to CREATE DATABASE (bench/pgvector.sh
//   starts a throwaway cluster and passes it). A fresh database is made per run, unless
//   --db names one: then a database of that name left by an earlier run with the same N is
//   searched again without loading or building (the data generator is seeded, so the
//   templates are the same), which lets the search phase be repeated on a quiet machine.
//
// Data: the "face" generator of bench/search (identities of 1-5 templates from 1,000
// population groups, decaying per-dimension spread; two identities ~1.0 apart, two photos of
// one person ~0.4). A query is a fresh sample of a random enrolled identity; it counts as
// right when the store's first hit belongs to the identity exact search ranks first.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <pqxx/pqxx>
#include <random>
#include <string>
#include <vector>

#include "ratelimit/redis_rate_limiter.h"
#include "redis/redis_client.h"
#include "store/postgres_store.h"

namespace {

using faceid::store::Vector128;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

class FaceGenerator {
 public:
  explicit FaceGenerator(std::uint32_t seed) : rng_(seed) {
    double total = 0;
    for (int i = 0; i < 128; ++i) total += std::pow(i + 1.0, -0.75);
    const double base = std::sqrt(1.0 / (2.0 * total));
    for (int i = 0; i < 128; ++i) spread_[i] = static_cast<float>(base * std::pow(i + 1.0, -0.375));
    const float g = std::sqrt(0.5f);
    for (int k = 0; k < 1000; ++k) {
      Vector128& mean = groups_.emplace_back();
      for (int i = 0; i < 128; ++i) mean[i] = normal_(rng_) * spread_[i] * g;
    }
  }
  Vector128 centre() {
    const Vector128& group = groups_[rng_() % groups_.size()];
    Vector128 c;
    for (int i = 0; i < 128; ++i) c[i] = group[i] + normal_(rng_) * spread_[i] * std::sqrt(0.5f);
    return c;
  }
  Vector128 sample(const Vector128& centre) {
    Vector128 v = centre;
    const float q = std::uniform_real_distribution<float>(0.75f, 1.25f)(rng_);
    for (int i = 0; i < 128; ++i) v[i] += normal_(rng_) * spread_[i] * 0.4f * q;
    return v;
  }
  int templates() { return std::uniform_int_distribution<int>(1, 5)(rng_); }
  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
  std::normal_distribution<float> normal_;
  std::array<float, 128> spread_{};
  std::vector<Vector128> groups_;
};

std::string vector_text(const Vector128& v) {
  std::string s = "[";
  char buf[32];
  for (int i = 0; i < 128; ++i) {
    std::snprintf(buf, sizeof(buf), i == 0 ? "%.9g" : ",%.9g", static_cast<double>(v[i]));
    s += buf;
  }
  return s + "]";
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

std::string with_db(const std::string& admin_url, const std::string& db) {
  return admin_url.substr(0, admin_url.rfind('/') + 1) + db;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s ADMIN_URL REDIS_URL [N] [--queries=Q] [--ef=a,b,c]\n", argv[0]);
    return 2;
  }
  const std::string admin_url = argv[1], redis_url = argv[2];
  std::size_t n = 100000, queries = 1000;
  std::vector<int> efs = {20, 40, 100, 200};
  std::string db_name;
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--queries=", 0) == 0) {
      queries = std::stoul(a.substr(10));
    } else if (a.rfind("--ef=", 0) == 0) {
      efs.clear();
      for (std::size_t p = 5; p < a.size();) {
        std::size_t q = a.find(',', p);
        efs.push_back(std::stoi(a.substr(p, q - p)));
        p = q == std::string::npos ? a.size() : q + 1;
      }
    } else if (a.rfind("--db=", 0) == 0) {
      db_name = a.substr(5);
    } else {
      n = std::stoul(a);
    }
  }

  // --- data -------------------------------------------------------------------------------
  FaceGenerator gen(42);
  std::vector<Vector128> centres;
  std::vector<Vector128> templates;
  std::vector<int> owner;
  while (templates.size() < n) {
    centres.push_back(gen.centre());
    for (int k = gen.templates(); k > 0 && templates.size() < n; --k) {
      templates.push_back(gen.sample(centres.back()));
      owner.push_back(static_cast<int>(centres.size() - 1));
    }
  }
  std::printf("data: %zu templates of %zu identities (face-like clusters)\n", templates.size(),
              centres.size());

  // --- load + build ---------------------------------------------------------------------------
  const std::string db =
      db_name.empty() ? "faceid_bench_" + std::to_string(std::time(nullptr)) : db_name;
  bool reuse = false;
  {
    pqxx::connection admin(admin_url);
    pqxx::nontransaction x(admin);
    if (x.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", db).empty()) {
      x.exec("CREATE DATABASE " + x.quote_name(db));
    } else {
      pqxx::connection old(with_db(admin_url, db));
      pqxx::nontransaction y(old);
      auto count = y.exec("SELECT count(*) FROM face_templates")[0][0].as<std::size_t>();
      auto index = y.exec(
          "SELECT count(*) FROM pg_indexes WHERE indexname = 'face_templates_embedding_hnsw'");
      reuse = count == templates.size() && index[0][0].as<int>() == 1;
      if (!reuse) {
        std::fprintf(stderr, "database %s holds %zu templates (or no index), not %zu\n", db.c_str(),
                     count, templates.size());
        return 1;
      }
      std::printf("reusing database %s (load and build skipped)\n", db.c_str());
    }
  }
  const std::string url = with_db(admin_url, db);
  pqxx::connection c(url);
  if (!reuse) {
    faceid::store::PostgresOptions o;
    o.url = url;
    if (auto m = (*faceid::store::PostgresStore::open(o))->migrate(); !m) {
      std::fprintf(stderr, "migrate: %s\n", m.error().message.c_str());
      return 1;
    }
    pqxx::nontransaction(c).exec(
        "DROP INDEX face_templates_embedding_hnsw");  // bulk load first, then build once
    auto load_start = Clock::now();
    pqxx::work tx(c);
    constexpr std::size_t kBatch = 500;
    for (std::size_t id = 0; id < centres.size(); id += kBatch) {
      std::string sql =
          "INSERT INTO users(id, username, email, password_hash, created_at, updated_at) VALUES ";
      for (std::size_t k = id; k < std::min(centres.size(), id + kBatch); ++k) {
        std::string s = std::to_string(k);
        sql += (k == id ? "('" : ",('") + s + "','u" + s + "','u" + s +
               "@example.com','x',now(),now())";
      }
      tx.exec(sql);
    }
    for (std::size_t t = 0; t < templates.size(); t += kBatch) {
      std::string sql =
          "INSERT INTO face_templates(user_id, embedding, model_version, quality, created_at) "
          "VALUES ";
      for (std::size_t k = t; k < std::min(templates.size(), t + kBatch); ++k) {
        sql += (k == t ? "('" : ",('") + std::to_string(owner[k]) + "','" +
               vector_text(templates[k]) + "','dlib-resnet-v1',0.9,now())";
      }
      tx.exec(sql);
    }
    tx.commit();
    std::printf("load: %.1f s\n", seconds_since(load_start));
    pqxx::nontransaction x(c);
    x.exec("SET maintenance_work_mem = '1GB'");
    x.exec("SET max_parallel_maintenance_workers = 1");
    auto build_start = Clock::now();
    x.exec(
        "CREATE INDEX face_templates_embedding_hnsw ON face_templates USING hnsw "
        "(embedding vector_l2_ops) WITH (m = 16, ef_construction = 64)");
    std::printf("hnsw build (m=16, ef_construction=64, 2 processes): %.1f s\n",
                seconds_since(build_start));
    x.exec("VACUUM ANALYZE face_templates");
    x.exec("VACUUM ANALYZE users");
  }
  {
    pqxx::nontransaction x(c);
    auto sz = [&](const std::string& what) {
      return x.exec("SELECT " + what)[0][0].as<double>() / (1024.0 * 1024.0);
    };
    double index_mb = sz("pg_relation_size('face_templates_embedding_hnsw')");
    double table_mb = sz("pg_table_size('face_templates')");
    double users_mb = sz("pg_total_relation_size('users')");
    double db_mb = sz("pg_database_size(current_database())");
    std::printf(
        "sizes: hnsw index %.1f MiB (%.0f B/template), face_templates %.1f MiB (%.0f "
        "B/template), users+indexes %.1f MiB, database %.1f MiB\n",
        index_mb, index_mb * 1048576 / static_cast<double>(templates.size()), table_mb,
        table_mb * 1048576 / static_cast<double>(templates.size()), users_mb, db_mb);
  }

  // --- queries ------------------------------------------------------------------------------
  std::vector<Vector128> probes;
  std::vector<int> truth;
  for (std::size_t q = 0; q < queries; ++q) {
    int who = static_cast<int>(gen.rng()() % centres.size());
    probes.push_back(gen.sample(centres[who]));
    // Exact nearest template decides the identity a perfect index would return.
    float best = 1e30f;
    int best_owner = -1;
    for (std::size_t t = 0; t < templates.size(); ++t) {
      float d = 0;
      for (int i = 0; i < 128; ++i) {
        float e = probes.back()[i] - templates[t][i];
        d += e * e;
      }
      if (d < best) {
        best = d;
        best_owner = owner[t];
      }
    }
    truth.push_back(best_owner);
  }
  std::printf("\n| ef_search | identity recall@1 | p50 ms | p99 ms |\n|---:|---:|---:|---:|\n");
  for (int ef : efs) {
    faceid::store::PostgresOptions o;
    o.url = url;
    o.pool_size = 1;
    o.ef_search = ef;
    o.model_version = "dlib-resnet-v1";
    auto store = faceid::store::PostgresStore::open(o);
    for (int w = 0; w < 20; ++w) (*store)->search_faces(probes[w], 5);  // warm the cache
    std::vector<double> ms;
    int right = 0;
    for (std::size_t q = 0; q < queries; ++q) {
      auto t = Clock::now();
      auto hits = (*store)->search_faces(probes[q], 5);
      ms.push_back(seconds_since(t) * 1000);
      if (hits && !hits->empty() && hits->front().user_id == std::to_string(truth[q])) ++right;
    }
    std::printf("| %d | %.4f | %.2f | %.2f |\n", ef,
                static_cast<double>(right) / static_cast<double>(queries), percentile(ms, 0.5),
                percentile(ms, 0.99));
  }

  // --- Redis limiter round trip ----------------------------------------------------------------
  auto parsed = faceid::redis::parse_redis_url(redis_url);
  faceid::redis::RedisClient client(*parsed, {});
  faceid::ratelimit::RedisRateLimiter limiter(client);
  std::vector<double> us;
  for (int i = 0; i < 5000; ++i) {
    auto t = Clock::now();
    auto d = limiter.hit("bench:" + std::to_string(i % 100), {1000000, std::chrono::seconds(60)});
    us.push_back(seconds_since(t) * 1e6);
    if (!d) {
      std::fprintf(stderr, "redis: %s\n", d.error().message.c_str());
      return 1;
    }
  }
  std::printf("\nredis limiter hit (one EVALSHA): p50 %.0f us, p99 %.0f us (5,000 hits)\n",
              percentile(us, 0.5), percentile(us, 0.99));
  return 0;
}
