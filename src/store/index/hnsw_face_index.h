// HnswFaceIndex: the in-process approximate nearest-neighbour index over face templates that
// 1:N login searches (hnswlib HNSW graph, L2, 128 dimensions). The graph holds compact int8
// codes (136 bytes a template instead of 512), so 1M templates fit in a small service; the
// float32 vectors live in a file beside it and the best candidates are re-checked with the
// exact Euclidean distance, so callers compare true distances with their threshold.
// With a directory the index persists itself (save()) and a later process loads it (load())
// instead of rebuilding, when it still covers exactly the templates the database holds.
// Thread-safety: all methods may be called from any thread. Searches share a reader lock and
// run in parallel; add/remove/compact/set_ef_search take it exclusively. Writers have priority
// (a waiting writer holds back new searches), so a steady stream of logins cannot starve
// registrations; a writer waits only for the searches already in flight.
// hnswlib stays out of this header (pimpl): it is heavy, and its 0.6.2 headers define globals,
// so only one translation unit in a program may include them (hnsw_face_index.cpp).
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

// Defaults chosen from bench/search at 1M templates (docs/performance.md, "Vector search"):
// ef_search 128 just reached identity recall@1 0.99 on the hardest (isotropic) data; 256 gives
// 0.9995-1.0 on both generators at p99 <= 3 ms, well inside the 5 ms budget and small next to
// the face embedding, so 256 ships.
// What a persisted index covers: the active templates' count, sum and maximum of their ids.
// With ids that are never reused (SQLite AUTOINCREMENT), two template sets with equal coverage
// are equal: an added template raises max_id, a removal alone lowers count.
struct IndexCoverage {
  std::int64_t templates = 0;
  std::int64_t id_sum = 0;
  std::int64_t max_id = 0;
  bool operator==(const IndexCoverage&) const = default;
};

struct HnswFaceIndexOptions {
  std::size_t m = 16;                   // graph degree (links per node; 2*m on the base layer)
  std::size_t ef_construction = 100;    // candidate list while inserting: build time vs quality
  std::size_t ef_search = 256;          // candidate list while searching: latency vs recall
  std::size_t initial_capacity = 1024;  // grows by doubling as templates are added
  std::uint64_t random_seed = 100;      // hnswlib's level generator (fixed: reproducible graph)
  // Removed templates stay in the graph as deleted nodes (hnswlib cannot unlink a node; they
  // are skipped in results but still cost memory and some recall). When they exceed this
  // fraction of all nodes (and number at least 1024) the next write rebuilds the graph from
  // the live templates, holding the write lock meanwhile (about 1 s per 20k live templates).
  double max_deleted_fraction = 0.25;
  // Threads for add_batch() and compaction rebuilds. hnswlib 0.6.2 inserts in parallel by
  // design, but draws each node's level from one unguarded RNG (ThreadSanitizer reports that
  // race; the outcome is at worst a repeated random level). Set 1 for a race-free build.
  unsigned build_threads = 2;
  // Where the float32 vectors (vectors.f32, read back only to re-check candidates) and the
  // saved graph live. Empty: an anonymous temporary file, nothing persisted.
  std::string directory = {};
  // Candidates re-checked in float32 per search (at least k): the int8 distance is within
  // ~0.01 of the true one, so the true nearest templates are among the first few.
  std::size_t recheck = 16;
};

class HnswFaceIndex {
 public:
  // A new, empty index. With options.directory, any saved index there is invalidated.
  // Throws std::runtime_error when the vector file cannot be created.
  explicit HnswFaceIndex(const HnswFaceIndexOptions& options = {});

  // The index saved in options.directory, if it covers exactly `expected` and every file's
  // checksum holds. Errors: "index_missing", "index_stale" (covers other templates),
  // "index_damaged" (bad checksum, truncated, unreadable). The caller then rebuilds.
  static Result<std::unique_ptr<HnswFaceIndex>> load(const HnswFaceIndexOptions& options,
                                                     const IndexCoverage& expected);

  // The templates the index holds (what a save records as covered).
  IndexCoverage coverage() const;
  // True while the files in options.directory describe the index exactly (after save() or
  // load(), until the next change): saving again would change nothing.
  bool saved() const;

  // Writes the graph and a manifest (coverage(), checksums) to options.directory, each file
  // through a temporary name and a rename, the manifest last: a crash mid-save leaves no
  // valid index. The first write after a save or load removes the manifest again, so a
  // process that dies with unsaved changes is rebuilt from the database next time.
  // Searches may run meanwhile. Errors: "index_error" (no directory, I/O).
  Status save() const;
  ~HnswFaceIndex();
  HnswFaceIndex(const HnswFaceIndex&) = delete;
  HnswFaceIndex& operator=(const HnswFaceIndex&) = delete;

  // Inserts a template, or replaces the vector (and owner) of an existing template_id.
  // Re-adding a removed template with the same vector (an account unlocked or reactivated)
  // just revives its old graph node; anything else gets a new node (updating a node in place
  // through hnswlib measurably hurt recall). Capacity doubles as needed.
  // Errors: "invalid_embedding" (NaN or infinite component), "index_error" (allocation).
  Status add(std::int64_t template_id, const std::string& user_id, const Vector128& embedding);

  // Bulk load (start-up rebuild, benchmarks): same result as add() per entry, but reserves
  // capacity once and inserts new templates on options.build_threads threads. Holds the write
  // lock throughout. On error, some entries may have been added (each one fully or not at all).
  Status add_batch(std::span<const IndexEntry> entries);

  // Removes one template; false if it was not in the index.
  bool remove_template(std::int64_t template_id);
  // Removes every template of a user (deleted, locked or deactivated account); returns how many.
  std::size_t remove_user(std::string_view user_id);

  // Up to k live templates nearest to `query`, sorted by exact distance (ties by template_id).
  // Approximate: at the default ef_search (256) the first hit's owner matched exact search for
  // 99.95-100% of queries over 1M synthetic templates, p99 <= 3 ms (docs/performance.md,
  // "Vector search"). Returns fewer than k only if the index holds fewer.
  std::vector<IndexHit> search(const Vector128& query, int k) const;

  // Rebuilds the graph from the live templates, dropping deleted nodes (normally automatic,
  // see max_deleted_fraction). Errors: "index_error" (allocation; the old graph stays).
  Status compact();

  void set_ef_search(std::size_t ef);
  std::size_t ef_search() const;
  std::size_t size() const;           // live templates
  std::size_t deleted_count() const;  // removed templates still occupying graph nodes
  std::size_t capacity() const;       // graph nodes allocated (live + deleted + spare)
  bool contains(std::int64_t template_id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faceid::store
