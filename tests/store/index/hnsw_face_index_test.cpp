// Tests for HnswFaceIndex: exact re-check, removal and slot reuse, growth, batch loading,
// concurrent searches with writes, and recall against brute force on clustered data.
#include "store/index/hnsw_face_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace faceid::store {
namespace {

Vector128 constant_vector(float value) {
  Vector128 v;
  v.fill(value);
  return v;
}

// Face-like synthetic data (the bench/search generator in small): identity centres drawn with a
// decaying per-dimension spread (variance ~ 1/i^0.75, so the data's effective dimension is ~45,
// not 128), templates are noisy copies with the same shape. Two identities are ~1.0 apart, two
// photos of one person ~0.4 (dlib-like: its match threshold is 0.6).
class ClusteredData {
 public:
  explicit ClusteredData(std::uint32_t seed) : rng_(seed) {
    double total = 0;
    for (std::size_t i = 0; i < kFaceDimensions; ++i) total += std::pow(i + 1.0, -0.75);
    const double base = std::sqrt(1.0 / (2.0 * total));
    for (std::size_t i = 0; i < kFaceDimensions; ++i) {
      spread_[i] = static_cast<float>(base * std::pow(i + 1.0, -0.375));
    }
  }

  Vector128 centre() {
    Vector128 c;
    for (std::size_t i = 0; i < c.size(); ++i) c[i] = normal_(rng_) * spread_[i];
    return c;
  }
  Vector128 sample(const Vector128& centre) {
    Vector128 v = centre;
    for (std::size_t i = 0; i < v.size(); ++i) v[i] += normal_(rng_) * spread_[i] * 0.4f;
    return v;
  }

 private:
  std::mt19937 rng_;
  std::normal_distribution<float> normal_{0.0f, 1.0f};
  std::array<float, kFaceDimensions> spread_{};
};

double l2(const Vector128& a, const Vector128& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return std::sqrt(s);
}

TEST(HnswFaceIndex, EmptyIndexReturnsNothing) {
  HnswFaceIndex index;
  EXPECT_TRUE(index.search(constant_vector(0.f), 5).empty());
  EXPECT_EQ(index.size(), 0u);
}

TEST(HnswFaceIndex, HitsCarryExactEuclideanDistanceSortedAscending) {
  HnswFaceIndex index;
  ASSERT_TRUE(index.add(1, "alice", constant_vector(0.0f)).ok());
  ASSERT_TRUE(index.add(2, "bob", constant_vector(0.1f)).ok());
  ASSERT_TRUE(index.add(3, "carol", constant_vector(0.3f)).ok());
  auto hits = index.search(constant_vector(0.05f), 3);
  ASSERT_EQ(hits.size(), 3u);
  // Not squared: |0.05 - 0| * sqrt(128) = 0.5657.
  EXPECT_NEAR(hits[0].distance, 0.05 * std::sqrt(128.0), 1e-5);
  EXPECT_NEAR(hits[1].distance, 0.05 * std::sqrt(128.0), 1e-5);
  EXPECT_NEAR(hits[2].distance, 0.25 * std::sqrt(128.0), 1e-5);
  // Equal distances are ordered by template id; owners come back with each hit.
  EXPECT_EQ(hits[0].template_id, 1);
  EXPECT_EQ(hits[0].user_id, "alice");
  EXPECT_EQ(hits[1].template_id, 2);
  EXPECT_EQ(hits[1].user_id, "bob");
  EXPECT_EQ(hits[2].user_id, "carol");
}

TEST(HnswFaceIndex, KLargerThanTheIndexReturnsEverything) {
  HnswFaceIndex index;
  ASSERT_TRUE(index.add(1, "a", constant_vector(0.0f)).ok());
  ASSERT_TRUE(index.add(2, "a", constant_vector(1.0f)).ok());
  EXPECT_EQ(index.search(constant_vector(0.0f), 50).size(), 2u);
  EXPECT_TRUE(index.search(constant_vector(0.0f), 0).empty());
}

TEST(HnswFaceIndex, RemovedTemplateIsNeverReturned) {
  HnswFaceIndex index;
  ASSERT_TRUE(index.add(1, "alice", constant_vector(0.0f)).ok());
  ASSERT_TRUE(index.add(2, "bob", constant_vector(0.5f)).ok());
  EXPECT_TRUE(index.remove_template(1));
  EXPECT_FALSE(index.remove_template(1));
  EXPECT_FALSE(index.contains(1));
  auto hits = index.search(constant_vector(0.0f), 5);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].template_id, 2);
}

TEST(HnswFaceIndex, RemoveUserDropsAllTheirTemplatesOnly) {
  HnswFaceIndex index;
  ASSERT_TRUE(index.add(1, "alice", constant_vector(0.0f)).ok());
  ASSERT_TRUE(index.add(2, "alice", constant_vector(0.01f)).ok());
  ASSERT_TRUE(index.add(3, "bob", constant_vector(0.02f)).ok());
  EXPECT_EQ(index.remove_user("alice"), 2u);
  EXPECT_EQ(index.remove_user("alice"), 0u);
  EXPECT_EQ(index.remove_user("nobody"), 0u);
  auto hits = index.search(constant_vector(0.0f), 5);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].user_id, "bob");
  EXPECT_EQ(index.size(), 1u);
}

TEST(HnswFaceIndex, AddingAnExistingTemplateIdReplacesVectorAndOwner) {
  HnswFaceIndex index;
  ASSERT_TRUE(index.add(1, "alice", constant_vector(0.0f)).ok());
  ASSERT_TRUE(index.add(2, "bob", constant_vector(1.0f)).ok());
  ASSERT_TRUE(index.add(1, "carol", constant_vector(2.0f)).ok());
  EXPECT_EQ(index.size(), 2u);
  auto hits = index.search(constant_vector(2.0f), 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].template_id, 1);
  EXPECT_EQ(hits[0].user_id, "carol");
  EXPECT_FLOAT_EQ(hits[0].distance, 0.0f);
  EXPECT_EQ(index.remove_user("alice"), 0u);
  EXPECT_EQ(index.remove_user("carol"), 1u);
}

TEST(HnswFaceIndex, RemovedAndReaddedTemplateIsFoundAgain) {
  HnswFaceIndex index;
  ASSERT_TRUE(index.add(7, "alice", constant_vector(0.3f)).ok());
  ASSERT_TRUE(index.remove_template(7));
  ASSERT_TRUE(index.add(7, "alice", constant_vector(0.3f)).ok());
  auto hits = index.search(constant_vector(0.3f), 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].template_id, 7);
}

TEST(HnswFaceIndex, GrowsCapacityAutomaticallyAndFindsEveryTemplate) {
  HnswFaceIndex index(HnswFaceIndexOptions{.initial_capacity = 4});
  ClusteredData data(1);
  std::vector<Vector128> vectors;
  for (int i = 0; i < 2000; ++i) {
    vectors.push_back(data.sample(data.centre()));
    ASSERT_TRUE(index.add(i, "user" + std::to_string(i), vectors.back()).ok());
  }
  EXPECT_EQ(index.size(), 2000u);
  EXPECT_GE(index.capacity(), 2000u);
  // HNSW is approximate: allow a rare miss, but every hit must be exact and correctly owned.
  int found = 0;
  for (int i = 0; i < 2000; ++i) {
    auto hits = index.search(vectors[i], 1);
    ASSERT_EQ(hits.size(), 1u);
    if (hits[0].template_id == i) {
      ++found;
      EXPECT_FLOAT_EQ(hits[0].distance, 0.0f);
    }
    EXPECT_EQ(hits[0].user_id, "user" + std::to_string(hits[0].template_id));
  }
  EXPECT_GE(found, 1990);
}

TEST(HnswFaceIndex, ReaddingARemovedTemplateWithTheSameVectorRevivesItsNode) {
  HnswFaceIndex index(HnswFaceIndexOptions{.initial_capacity = 100});
  ClusteredData data(2);
  std::vector<Vector128> vectors;
  for (int i = 0; i < 100; ++i) {
    vectors.push_back(data.sample(data.centre()));
    ASSERT_TRUE(index.add(i, "u" + std::to_string(i), vectors[i]).ok());
  }
  for (int i = 0; i < 100; i += 2) ASSERT_TRUE(index.remove_user("u" + std::to_string(i)));
  EXPECT_EQ(index.deleted_count(), 50u);
  for (int i = 0; i < 100; i += 2)
    ASSERT_TRUE(index.add(i, "u" + std::to_string(i), vectors[i]).ok());
  EXPECT_EQ(index.deleted_count(), 0u);  // every node revived, none added
  EXPECT_EQ(index.capacity(), 100u);
  for (int i = 0; i < 100; ++i) {
    auto hits = index.search(vectors[i], 1);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].template_id, i);  // 100 nodes, default ef: the search is exhaustive
  }
}

TEST(HnswFaceIndex, ChangedVectorGetsANewNodeAndTheOldOneIsHidden) {
  HnswFaceIndex index;
  ASSERT_TRUE(index.add(1, "alice", constant_vector(0.0f)).ok());
  ASSERT_TRUE(index.add(1, "alice", constant_vector(1.0f)).ok());
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.deleted_count(), 1u);
  auto hits = index.search(constant_vector(0.0f), 5);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_NEAR(hits[0].distance, std::sqrt(128.0), 1e-5);
}

TEST(HnswFaceIndex, DeletedNodesAreCompactedAwayAutomatically) {
  HnswFaceIndex index(HnswFaceIndexOptions{.initial_capacity = 16});
  ClusteredData data(7);
  std::vector<Vector128> vectors;
  for (int i = 0; i < 6000; ++i) {
    vectors.push_back(data.sample(data.centre()));
    ASSERT_TRUE(index.add(i, "u" + std::to_string(i % 1000), vectors[i]).ok());
  }
  std::size_t peak_deleted = 0;
  for (int i = 0; i < 6000; i += 2) {
    ASSERT_TRUE(index.remove_template(i));
    peak_deleted = std::max(peak_deleted, index.deleted_count());
  }
  // Compaction ran once deleted nodes passed 25% of the graph, so they never reached 3000.
  EXPECT_LT(peak_deleted, 2100u);
  EXPECT_LT(index.deleted_count(), 1500u);
  EXPECT_EQ(index.size(), 3000u);
  ASSERT_TRUE(index.compact().ok());
  EXPECT_EQ(index.deleted_count(), 0u);
  int found = 0;
  for (int i = 1; i < 6000; i += 2) {
    auto hits = index.search(vectors[i], 1);
    ASSERT_EQ(hits.size(), 1u);
    ASSERT_EQ(hits[0].template_id % 2, 1) << "a removed template came back";
    EXPECT_EQ(hits[0].user_id, "u" + std::to_string(hits[0].template_id % 1000));
    if (hits[0].template_id == i) ++found;
  }
  EXPECT_GE(found, 2970);                  // >= 99% exact self-match after the rebuilds
  EXPECT_EQ(index.remove_user("u1"), 6u);  // owners survived the rebuild
}

TEST(HnswFaceIndex, NonFiniteEmbeddingIsRejected) {
  HnswFaceIndex index;
  Vector128 bad = constant_vector(0.0f);
  bad[17] = std::numeric_limits<float>::quiet_NaN();
  Status s = index.add(1, "a", bad);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "invalid_embedding");
  bad[17] = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(index.add(1, "a", bad).ok());
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(index.search(bad, 1).empty());
}

TEST(HnswFaceIndex, BatchLoadOnTwoThreadsMatchesSingleAdds) {
  HnswFaceIndex index(HnswFaceIndexOptions{.initial_capacity = 8});
  ClusteredData data(3);
  std::vector<IndexEntry> entries;
  for (int i = 0; i < 3000; ++i) {
    entries.push_back({i, "user" + std::to_string(i / 3), data.sample(data.centre())});
  }
  entries.push_back({5, "late-owner", entries[5].embedding});  // duplicate id: last one wins
  ASSERT_TRUE(index.add_batch(entries).ok());
  EXPECT_EQ(index.size(), 3000u);
  int found = 0;
  for (int i = 0; i < 3000; ++i) {
    auto hits = index.search(entries[i].embedding, 1);
    ASSERT_EQ(hits.size(), 1u);
    if (hits[0].template_id == i) ++found;
  }
  EXPECT_GE(found, 2970);                     // parallel insertion builds as good a graph as serial
  EXPECT_EQ(index.remove_user("user1"), 2u);  // templates 3 and 4; 5 moved to late-owner
  EXPECT_EQ(index.remove_user("late-owner"), 1u);
}

TEST(HnswFaceIndex, ConcurrentSearchesWithWritesStayConsistent) {
  HnswFaceIndex index(HnswFaceIndexOptions{.initial_capacity = 16});
  ClusteredData data(4);
  std::vector<Vector128> vectors;
  for (int i = 0; i < 4000; ++i) vectors.push_back(data.sample(data.centre()));
  for (int i = 0; i < 1000; ++i)
    ASSERT_TRUE(index.add(i, "u" + std::to_string(i), vectors[i]).ok());

  std::atomic<bool> stop{false};
  std::atomic<int> bad_results{0};
  std::atomic<long> searches{0};
  auto reader = [&] {
    std::mt19937 rng(std::hash<std::thread::id>{}(std::this_thread::get_id()));
    while (!stop) {
      const Vector128& q = vectors[rng() % vectors.size()];
      auto hits = index.search(q, 5);
      ++searches;
      for (std::size_t j = 0; j < hits.size(); ++j) {
        const auto id = hits[j].template_id;
        const bool sorted = j == 0 || hits[j - 1].distance <= hits[j].distance;
        const bool exact =
            id >= 0 && id < 4000 && std::abs(hits[j].distance - l2(q, vectors[id])) < 1e-4;
        const bool owner = hits[j].user_id == "u" + std::to_string(id);
        if (!sorted || !exact || !owner) ++bad_results;
      }
    }
  };
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) readers.emplace_back(reader);
  // Writer: grow past several resizes while removing older templates and users.
  for (int i = 1000; i < 4000; ++i) {
    ASSERT_TRUE(index.add(i, "u" + std::to_string(i), vectors[i]).ok());
    if (i % 3 == 0) index.remove_template(i - 1000);
    if (i % 5 == 0) index.remove_user("u" + std::to_string(i - 999));
  }
  stop = true;
  for (auto& th : readers) th.join();
  EXPECT_EQ(bad_results.load(), 0);
  EXPECT_GT(searches.load(), 0);
  for (int i = 3000; i < 4000; ++i) EXPECT_TRUE(index.contains(i)) << i;
}

// Recall of the shipped defaults against brute force, counted by identity as login does: the
// query is a new photo of an enrolled person; is the first hit's owner the exact search's?
TEST(HnswFaceIndex, IdentityRecallAtOneMatchesBruteForceOnClusteredData) {
  constexpr int kIdentities = 5000;
  constexpr int kTemplatesPerIdentity = 4;
  constexpr int kQueries = 500;
  ClusteredData data(5);
  std::vector<Vector128> centres;
  std::vector<IndexEntry> entries;
  for (int p = 0; p < kIdentities; ++p) {
    centres.push_back(data.centre());
    for (int t = 0; t < kTemplatesPerIdentity; ++t) {
      entries.push_back({static_cast<std::int64_t>(entries.size()), std::to_string(p),
                         data.sample(centres.back())});
    }
  }
  HnswFaceIndex index;
  ASSERT_TRUE(index.add_batch(entries).ok());

  int agree = 0;
  std::mt19937 rng(6);
  for (int q = 0; q < kQueries; ++q) {
    const Vector128 query = data.sample(centres[rng() % kIdentities]);
    std::size_t best = 0;
    double best_distance = std::numeric_limits<double>::max();
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const double d = l2(query, entries[i].embedding);
      if (d < best_distance) best_distance = d, best = i;
    }
    auto hits = index.search(query, 5);
    ASSERT_FALSE(hits.empty());
    if (hits[0].user_id == entries[best].user_id) ++agree;
  }
  const double recall = static_cast<double>(agree) / kQueries;
  std::cout << "identity recall@1 at ef " << index.ef_search() << ": " << recall << "\n";
  EXPECT_GE(recall, 0.99);
}

}  // namespace
}  // namespace faceid::store
