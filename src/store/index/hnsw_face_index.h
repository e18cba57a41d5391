// HnswFaceIndex: the in-process approximate nearest-neighbour index over face templates that
// 1:N login searches (hnswlib HNSW graph, L2, 128 dimensions). Candidates are re-checked with
// the exact Euclidean distance, so callers compare true distances with their threshold.
// Thread-safety: all methods may be called from any thread. A std::shared_mutex lets any
// number of search() calls run together; add/remove/set_ef_search take it exclusively (a
// writer waits for in-flight searches and briefly blocks new ones).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace faceid::store {

inline constexpr std::size_t kFaceDimensions = 128;
using Vector128 = std::array<float, kFaceDimensions>;

struct IndexHit {
  std::int64_t template_id;
  std::string user_id;
  float distance;  // exact Euclidean (not squared) distance to the query
};

// One template to load with add_batch().
struct IndexEntry {
  std::int64_t template_id;
  std::string user_id;
  Vector128 embedding;
};

// Defaults chosen from bench/search (see docs/performance.md, "Vector search").
struct HnswFaceIndexOptions {
  std::size_t m = 16;                   // graph degree (links per node; 2*m on the base layer)
  std::size_t ef_construction = 100;    // candidate list while inserting: build time vs quality
  std::size_t ef_search = 128;          // candidate list while searching: latency vs recall
  std::size_t initial_capacity = 1024;  // grows by doubling as templates are added
  std::uint64_t random_seed = 100;      // hnswlib's level generator (fixed: reproducible graph)
};

class HnswFaceIndex {
 public:
  explicit HnswFaceIndex(HnswFaceIndexOptions options = {});
  ~HnswFaceIndex();
  HnswFaceIndex(const HnswFaceIndex&) = delete;
  HnswFaceIndex& operator=(const HnswFaceIndex&) = delete;

  // Inserts a template, or replaces the vector (and owner) of an existing template_id.
  // Reuses a slot freed by an earlier removal when there is one; grows capacity otherwise.
  // Errors: "invalid_embedding" (NaN or infinite component), "index_error" (allocation).
  Status add(std::int64_t template_id, std::string user_id, const Vector128& embedding);

  // Bulk load (start-up rebuild, benchmarks): same result as add() per entry, but reserves
  // capacity once and inserts new templates on `threads` threads. Holds the write lock
  // throughout. On error, entries before the failing one may have been added.
  Status add_batch(std::span<const IndexEntry> entries, unsigned threads = 1);

  // Removes one template; false if it was not in the index.
  bool remove_template(std::int64_t template_id);
  // Removes every template of a user (deleted, locked or deactivated account); returns how many.
  std::size_t remove_user(std::string_view user_id);

  // Up to k live templates nearest to `query`, sorted by exact distance (ties by template_id).
  // Approximate: with the default ef_search the true nearest template is found for >= 99% of
  // queries (see docs/performance.md). Returns fewer than k only if the index holds fewer.
  std::vector<IndexHit> search(const Vector128& query, int k) const;

  void set_ef_search(std::size_t ef);
  std::size_t ef_search() const;
  std::size_t size() const;      // live templates
  std::size_t capacity() const;  // slots allocated (live + free + unused)
  bool contains(std::int64_t template_id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faceid::store
