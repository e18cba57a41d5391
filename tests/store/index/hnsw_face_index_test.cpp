// Tests for HnswFaceIndex: exact re-check, removal and slot reuse, growth, batch loading,
// concurrent searches with writes, and recall against brute force on clustered data.
#include "store/index/hnsw_face_index.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
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

TEST(HnswFaceIndex, ChangedVectorReplacesTheTemplatesNodeAndTheOldVectorIsGone) {
  HnswFaceIndex index;
  ASSERT_TRUE(index.add(1, "alice", constant_vector(0.0f)).ok());
  ASSERT_TRUE(index.add(1, "alice", constant_vector(1.0f)).ok());
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.deleted_count(), 0u);  // the graph's label is the template: updated in place
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

// A temporary folder for a persisted index, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("faceid-index-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::remove_all(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string str() const { return path_.string(); }
  std::string file(const char* name) const { return (path_ / name).string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

// 1,500 templates of 500 users in `dir`, 60 of them removed again.
struct PersistedFixture {
  explicit PersistedFixture(const std::string& dir) : options{.directory = dir} {
    ClusteredData data(11);
    auto index = std::make_unique<HnswFaceIndex>(options);
    for (int i = 0; i < 1500; ++i) {
      entries.push_back({i + 1, "user" + std::to_string(i % 500), data.sample(data.centre())});
    }
    EXPECT_TRUE(index->add_batch(entries).ok());
    for (int i = 1; i <= 60; ++i) EXPECT_TRUE(index->remove_template(i * 7));
    covers = IndexCoverage{1440, 0, 1500};
    for (int i = 1; i <= 1500; ++i) covers.id_sum += (i % 7 == 0 && i <= 420) ? 0 : i;
    EXPECT_EQ(index->coverage(), covers);
    built = std::move(index);
  }
  HnswFaceIndexOptions options;
  std::vector<IndexEntry> entries;
  IndexCoverage covers;
  std::unique_ptr<HnswFaceIndex> built;
};

void flip_byte(const std::string& file, std::streamoff at) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(at);
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(at);
  f.write(&c, 1);
}

TEST(HnswFaceIndex, SavedIndexLoadsWithTheSameContentsAndAnswers) {
  TempDir dir;
  PersistedFixture fx(dir.str());
  ASSERT_TRUE(fx.built->save().ok());
  auto loaded = HnswFaceIndex::load(fx.options, fx.covers);
  ASSERT_TRUE(loaded.ok()) << loaded.error().code << " " << loaded.error().message;
  HnswFaceIndex& index = **loaded;
  EXPECT_EQ(index.size(), 1440u);
  EXPECT_EQ(index.deleted_count(), fx.built->deleted_count());
  EXPECT_FALSE(index.contains(7));
  EXPECT_TRUE(index.contains(8));
  for (int i = 0; i < 1500; i += 37) {
    auto a = fx.built->search(fx.entries[i].embedding, 5);
    auto b = index.search(fx.entries[i].embedding, 5);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t j = 0; j < a.size(); ++j) {
      EXPECT_EQ(a[j].template_id, b[j].template_id);
      EXPECT_EQ(a[j].user_id, b[j].user_id);
      EXPECT_FLOAT_EQ(a[j].distance, b[j].distance);  // exact float32 re-check survives
    }
  }
  // Owners and tombstones survive: a removed template with its old vector is revived.
  EXPECT_EQ(index.remove_user("user9"), 3u);
  ASSERT_TRUE(index.add(7, "user6", fx.entries[6].embedding).ok());
  EXPECT_TRUE(index.contains(7));
}

TEST(HnswFaceIndex, SavedIndexIsRefusedWhenItCoversOtherTemplates) {
  TempDir dir;
  PersistedFixture fx(dir.str());
  ASSERT_TRUE(fx.built->save().ok());
  IndexCoverage other = fx.covers;
  other.max_id += 1;  // a template added after the save
  auto loaded = HnswFaceIndex::load(fx.options, other);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, "index_stale");
}

// The manifest is read as a stream and trusted only when its trailing checksum matches:
// a changed user name (which parses fine) and a changed checksum are both refused.
TEST(HnswFaceIndex, ADamagedManifestIsRefusedEvenWhereItStillParses) {
  TempDir dir;
  PersistedFixture fx(dir.str());
  ASSERT_TRUE(fx.built->save().ok());
  fx.built.reset();
  const std::string manifest = dir.file("manifest.bin");
  const auto size = static_cast<std::streamoff>(std::filesystem::file_size(manifest));
  // 8 magic bytes, ten 8-byte header fields, the user count, then "user0" after its length.
  for (std::streamoff at : {std::streamoff{8 + 10 * 8 + 8 + 4 + 1}, size - 3, size / 2}) {
    flip_byte(manifest, at);
    auto damaged = HnswFaceIndex::load(fx.options, fx.covers);
    ASSERT_FALSE(damaged.ok()) << "byte " << at;
    EXPECT_EQ(damaged.error().code, "index_damaged") << "byte " << at;
    flip_byte(manifest, at);  // repaired
    ASSERT_TRUE(HnswFaceIndex::load(fx.options, fx.covers).ok()) << "byte " << at;
  }
  std::filesystem::resize_file(manifest, size - 1);
  auto short_file = HnswFaceIndex::load(fx.options, fx.covers);
  ASSERT_FALSE(short_file.ok());
  EXPECT_EQ(short_file.error().code, "index_damaged");
}

TEST(HnswFaceIndex, DamagedOrMissingFilesAreRefused) {
  TempDir dir;
  PersistedFixture fx(dir.str());
  ASSERT_TRUE(fx.built->save().ok());
  fx.built.reset();
  ASSERT_TRUE(HnswFaceIndex::load(fx.options, fx.covers).ok());

  flip_byte(dir.file("graph.hnsw"), 5000);
  auto graph_damaged = HnswFaceIndex::load(fx.options, fx.covers);
  ASSERT_FALSE(graph_damaged.ok());
  EXPECT_EQ(graph_damaged.error().code, "index_damaged");
  flip_byte(dir.file("graph.hnsw"), 5000);  // repaired
  ASSERT_TRUE(HnswFaceIndex::load(fx.options, fx.covers).ok());

  std::filesystem::resize_file(dir.file("vectors.f32"), 512 * 1000);
  auto truncated = HnswFaceIndex::load(fx.options, fx.covers);
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().code, "index_damaged");

  std::filesystem::remove(dir.file("manifest.bin"));
  auto missing = HnswFaceIndex::load(fx.options, fx.covers);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "index_missing");
}

TEST(HnswFaceIndex, FirstChangeAfterLoadVoidsTheSavedIndex) {
  TempDir dir;
  PersistedFixture fx(dir.str());
  ASSERT_TRUE(fx.built->save().ok());
  fx.built.reset();
  auto loaded = HnswFaceIndex::load(fx.options, fx.covers);
  ASSERT_TRUE(loaded.ok());
  (void)(*loaded)->search(fx.entries[0].embedding, 5);  // reads change nothing
  EXPECT_TRUE(std::filesystem::exists(dir.file("manifest.bin")));
  ASSERT_TRUE((*loaded)->add(5000, "new-user", fx.entries[0].embedding).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.file("manifest.bin")));
  // Saved again with its new coverage, it loads again.
  IndexCoverage now = fx.covers;
  now.templates += 1, now.id_sum += 5000, now.max_id = 5000;
  EXPECT_FALSE((*loaded)->saved());
  ASSERT_TRUE((*loaded)->save().ok());
  EXPECT_TRUE((*loaded)->saved());
  auto again = HnswFaceIndex::load(fx.options, now);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->contains(5000));
}

TEST(HnswFaceIndex, Int8GraphStillFindsTheExactNearestTemplateWithExactDistances) {
  ClusteredData data(12);
  HnswFaceIndex index;
  std::vector<IndexEntry> entries;
  for (int i = 0; i < 3000; ++i)
    entries.push_back({i, "u" + std::to_string(i), data.sample(data.centre())});
  ASSERT_TRUE(index.add_batch(entries).ok());
  int exact_first = 0;
  for (int q = 0; q < 300; ++q) {
    const Vector128 query = data.sample(entries[q * 10].embedding);
    std::size_t best = 0;
    double best_distance = std::numeric_limits<double>::max();
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const double d = l2(query, entries[i].embedding);
      if (d < best_distance) best_distance = d, best = i;
    }
    auto hits = index.search(query, 5);
    ASSERT_EQ(hits.size(), 5u);
    EXPECT_NEAR(hits[0].distance, l2(query, entries[hits[0].template_id].embedding), 1e-5);
    if (hits[0].template_id == static_cast<std::int64_t>(best)) ++exact_first;
  }
  EXPECT_GE(exact_first, 297);
}

}  // namespace
}  // namespace faceid::store
