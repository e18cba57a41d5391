// HnswFaceIndex on hnswlib 0.6.2. hnswlib names points by a caller-chosen "label"; here a label
// is a node number in the current graph, and this file maps nodes to (template_id, user_id).
// Removal marks the node deleted (hnswlib skips it in results but cannot unlink it); a removed
// template re-added with the same vector is revived in place; anything else gets a new node.
// Updating nodes in place via hnswlib's addPoint-on-existing-label was measured and rejected:
// on 10k clustered vectors with half replaced, exact self-match misses rose from 1% to 6%.
// Deleted nodes are dropped by rebuilding the graph (compaction) once they pile up.
#include "store/index/hnsw_face_index.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <exception>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

namespace faceid::store {
namespace {

constexpr std::size_t kMinDeletedForCompaction = 1024;
constexpr std::size_t kMinCapacity = 16;

bool all_finite(const Vector128& v) {
  return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
}

// Euclidean distance accumulated in double: the value callers compare with their threshold.
float exact_distance(const float* a, const float* b) {
  double sum = 0.0;
  for (std::size_t i = 0; i < kFaceDimensions; ++i) {
    const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    sum += d * d;
  }
  return static_cast<float>(std::sqrt(sum));
}

Error invalid_embedding() {
  return make_error("invalid_embedding", "the face embedding has non-finite components");
}

Error index_error(const std::exception& e) {
  return make_error("index_error", "the face index could not be updated", {e.what()});
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// hnswlib's graph plus the distance space it points into (so the pair never moves apart).
struct Graph {
  Graph(const HnswFaceIndexOptions& o, std::size_t capacity)
      : space(kFaceDimensions),
        hnsw(&space, std::max(kMinCapacity, capacity), o.m, o.ef_construction, o.random_seed) {
    hnsw.setEf(o.ef_search);
  }
  const float* vector(std::size_t label) const {
    return reinterpret_cast<const float*>(hnsw.getDataByInternalId(hnsw.label_lookup_.at(label)));
  }

  hnswlib::L2Space space;
  hnswlib::HierarchicalNSW<float> hnsw;
};

// A shared mutex whose writers go first: glibc's rwlock prefers readers, and with searches
// arriving back to back a writer could wait forever. Readers pass through `gate_` (held by a
// writer from the moment it queues until it is done), so a queued writer stops new readers.
class WriterFirstMutex {
 public:
  struct WriteLock {
    std::unique_lock<std::mutex> gate;
    std::unique_lock<std::shared_mutex> rw;  // released before gate (reverse declaration order)
  };
  std::shared_lock<std::shared_mutex> read() const {
    std::lock_guard gate(gate_);
    return std::shared_lock(rw_);
  }
  WriteLock write() const {
    std::unique_lock gate(gate_);
    std::unique_lock rw(rw_);
    return WriteLock{std::move(gate), std::move(rw)};
  }

 private:
  mutable std::mutex gate_;
  mutable std::shared_mutex rw_;
};

}  // namespace

struct HnswFaceIndex::Impl {
  struct Node {
    std::int64_t template_id = -1;
    const std::string* user_id = nullptr;  // a key of `users` (stable); null once deleted
    bool live = false;
  };
  struct Fresh {  // a template waiting for a new node
    std::int64_t template_id;
    std::string_view user_id;
    const Vector128* embedding;
  };

  explicit Impl(const HnswFaceIndexOptions& o)
      : options(o), graph(std::make_unique<Graph>(o, o.initial_capacity)) {}

  WriterFirstMutex mu;
  // Everything below is guarded by `mu` (read lock for search and getters, write lock else).
  HnswFaceIndexOptions options;
  std::unique_ptr<Graph> graph;
  std::vector<Node> nodes;                                    // indexed by hnswlib label
  std::size_t deleted = 0;                                    // nodes with live == false
  std::unordered_map<std::int64_t, std::size_t> by_template;  // live template_id -> label
  std::unordered_map<std::int64_t, std::size_t> tombstones;   // removed template_id -> label
  std::unordered_map<std::string, std::vector<std::int64_t>, StringHash, std::equal_to<>> users;

  void attach(std::size_t label, std::int64_t template_id, std::string_view user_id) {
    auto it = users.find(user_id);
    if (it == users.end())
      it = users.emplace(std::string(user_id), std::vector<std::int64_t>{}).first;
    it->second.push_back(template_id);
    nodes[label] = Node{template_id, &it->first, true};
    by_template[template_id] = label;
  }

  void remove_locked(std::size_t label) {
    Node& node = nodes[label];
    graph->hnsw.markDelete(label);
    auto it = users.find(*node.user_id);
    std::erase(it->second, node.template_id);
    if (it->second.empty()) users.erase(it);
    by_template.erase(node.template_id);
    tombstones[node.template_id] = label;
    node.user_id = nullptr;
    node.live = false;
    ++deleted;
  }

  // Bitwise identity is what is meant: the same stored vector (NaN/inf never get here).
  static bool same_bits(const void* stored, const Vector128& v) {
    // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
    return std::memcmp(stored, v.data(), sizeof(Vector128)) == 0;
  }

  // True when the template was handled without a new node (unchanged, or revived).
  bool add_in_place(std::int64_t template_id, std::string_view user_id, const Vector128& v) {
    if (auto it = by_template.find(template_id); it != by_template.end()) {
      const std::size_t label = it->second;
      const bool same_vector = same_bits(graph->vector(label), v);
      if (same_vector && *nodes[label].user_id == user_id) return true;
      remove_locked(label);  // changed: retire the old node, insert a new one
    }
    if (auto it = tombstones.find(template_id); it != tombstones.end()) {
      const std::size_t label = it->second;
      if (same_bits(graph->vector(label), v)) {
        graph->hnsw.unmarkDelete(label);
        tombstones.erase(it);
        --deleted;
        attach(label, template_id, user_id);
        return true;
      }
    }
    return false;
  }

  void reserve(std::size_t extra) {
    const std::size_t needed = nodes.size() + extra;
    const std::size_t capacity = graph->hnsw.max_elements_;
    if (needed > capacity) graph->hnsw.resizeIndex(std::max(needed, capacity * 2));
  }

  // Inserts new nodes for `batch` on several threads (hnswlib allows concurrent addPoint with
  // distinct labels); each template is fully added or not at all. Requires reserve() first.
  Status insert_new(const std::vector<Fresh>& batch) {
    const std::size_t first = nodes.size();
    nodes.resize(first + batch.size());
    std::vector<char> done(batch.size(), 0);
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    std::mutex error_mu;
    auto worker = [&] {
      for (std::size_t i = next++; i < batch.size() && !failed; i = next++) {
        try {
          graph->hnsw.addPoint(batch[i].embedding->data(), first + i);
          done[i] = 1;
        } catch (...) {
          std::lock_guard lock(error_mu);
          if (!error) error = std::current_exception();
          failed = true;
        }
      }
    };
    const unsigned threads = batch.size() < 64 ? 1u : std::max(1u, options.build_threads);
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& th : pool) th.join();

    // A failed insert (allocation failure) leaves a dead entry in `nodes`, counted as deleted
    // so compaction drops it; if hnswlib got as far as registering the label, hide that node.
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (done[i]) {
        attach(first + i, batch[i].template_id, batch[i].user_id);
        continue;
      }
      ++deleted;
      if (graph->hnsw.label_lookup_.contains(first + i)) {
        try {
          graph->hnsw.markDelete(first + i);
        } catch (const std::exception&) {  // already deleted or never linked: nothing to hide
        }
      }
    }
    if (!error) return Status::Ok();
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      return index_error(e);
    }
  }

  Status add_locked(const std::vector<Fresh>& templates) {
    std::vector<Fresh> fresh;
    try {
      for (const Fresh& t : templates) {
        if (!add_in_place(t.template_id, t.user_id, *t.embedding)) fresh.push_back(t);
      }
      if (fresh.empty()) return Status::Ok();
      reserve(fresh.size());
    } catch (const std::exception& e) {
      return index_error(e);
    }
    Status status = insert_new(fresh);
    maybe_compact();
    return status;
  }

  void maybe_compact() {
    if (deleted >= kMinDeletedForCompaction &&
        static_cast<double>(deleted) > options.max_deleted_fraction * nodes.size()) {
      (void)compact_locked();  // on failure the old graph keeps serving; retried next write
    }
  }

  Status compact_locked() {
    std::vector<Vector128> vectors;
    std::vector<std::pair<std::int64_t, std::string>> owners;
    vectors.reserve(by_template.size());
    owners.reserve(by_template.size());
    for (std::size_t label = 0; label < nodes.size(); ++label) {
      if (!nodes[label].live) continue;
      Vector128& v = vectors.emplace_back();
      std::memcpy(v.data(), graph->vector(label), sizeof(Vector128));
      owners.emplace_back(nodes[label].template_id, *nodes[label].user_id);
    }
    Impl rebuilt(options);
    try {
      rebuilt.graph = std::make_unique<Graph>(options, vectors.size() + vectors.size() / 4);
      std::vector<Fresh> batch;
      batch.reserve(vectors.size());
      for (std::size_t i = 0; i < vectors.size(); ++i) {
        batch.push_back(Fresh{owners[i].first, owners[i].second, &vectors[i]});
      }
      if (Status s = rebuilt.insert_new(batch); !s.ok()) return s;
    } catch (const std::exception& e) {
      return index_error(e);
    }
    graph = std::move(rebuilt.graph);
    nodes = std::move(rebuilt.nodes);
    deleted = 0;
    by_template = std::move(rebuilt.by_template);
    tombstones.clear();
    users = std::move(rebuilt.users);  // nodes point into these keys; moving keeps the nodes
    return Status::Ok();
  }
};

HnswFaceIndex::HnswFaceIndex(HnswFaceIndexOptions options)
    : impl_(std::make_unique<Impl>(options)) {}

HnswFaceIndex::~HnswFaceIndex() = default;

Status HnswFaceIndex::add(std::int64_t template_id, const std::string& user_id,
                          const Vector128& embedding) {
  if (!all_finite(embedding)) return invalid_embedding();
  auto lock = impl_->mu.write();
  return impl_->add_locked({Impl::Fresh{template_id, user_id, &embedding}});
}

Status HnswFaceIndex::add_batch(std::span<const IndexEntry> entries) {
  for (const IndexEntry& e : entries) {
    if (!all_finite(e.embedding)) return invalid_embedding();
  }
  // The last occurrence of a template_id wins, as with repeated add() calls.
  std::unordered_map<std::int64_t, std::size_t> last;
  for (std::size_t i = 0; i < entries.size(); ++i) last[entries[i].template_id] = i;
  std::vector<Impl::Fresh> batch;
  batch.reserve(last.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (last[entries[i].template_id] == i) {
      batch.push_back(
          Impl::Fresh{entries[i].template_id, entries[i].user_id, &entries[i].embedding});
    }
  }
  auto lock = impl_->mu.write();
  return impl_->add_locked(batch);
}

bool HnswFaceIndex::remove_template(std::int64_t template_id) {
  auto lock = impl_->mu.write();
  auto it = impl_->by_template.find(template_id);
  if (it == impl_->by_template.end()) return false;
  impl_->remove_locked(it->second);
  impl_->maybe_compact();
  return true;
}

std::size_t HnswFaceIndex::remove_user(std::string_view user_id) {
  auto lock = impl_->mu.write();
  auto it = impl_->users.find(user_id);
  if (it == impl_->users.end()) return 0;
  const std::vector<std::int64_t> templates = it->second;  // remove_locked edits the original
  for (std::int64_t template_id : templates) {
    impl_->remove_locked(impl_->by_template.at(template_id));
  }
  impl_->maybe_compact();
  return templates.size();
}

std::vector<IndexHit> HnswFaceIndex::search(const Vector128& query, int k) const {
  auto lock = impl_->mu.read();
  const Impl& impl = *impl_;
  if (k <= 0 || impl.by_template.empty() || !all_finite(query)) return {};
  const std::size_t want =
      std::min<std::size_t>(static_cast<std::size_t>(k), impl.by_template.size());
  auto candidates = impl.graph->hnsw.searchKnn(query.data(), want);

  std::vector<IndexHit> hits;
  hits.reserve(candidates.size());
  for (; !candidates.empty(); candidates.pop()) {
    const std::size_t label = candidates.top().second;
    const Impl::Node& node = impl.nodes[label];
    hits.push_back(IndexHit{node.template_id, *node.user_id,
                            exact_distance(query.data(), impl.graph->vector(label))});
  }
  std::sort(hits.begin(), hits.end(), [](const IndexHit& a, const IndexHit& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.template_id < b.template_id;
  });
  return hits;
}

Status HnswFaceIndex::compact() {
  auto lock = impl_->mu.write();
  return impl_->compact_locked();
}

void HnswFaceIndex::set_ef_search(std::size_t ef) {
  auto lock = impl_->mu.write();
  impl_->options.ef_search = ef;
  impl_->graph->hnsw.setEf(ef);
}

std::size_t HnswFaceIndex::ef_search() const {
  auto lock = impl_->mu.read();
  return impl_->options.ef_search;
}

std::size_t HnswFaceIndex::size() const {
  auto lock = impl_->mu.read();
  return impl_->by_template.size();
}

std::size_t HnswFaceIndex::deleted_count() const {
  auto lock = impl_->mu.read();
  return impl_->deleted;
}

std::size_t HnswFaceIndex::capacity() const {
  auto lock = impl_->mu.read();
  return impl_->graph->hnsw.max_elements_;
}

bool HnswFaceIndex::contains(std::int64_t template_id) const {
  auto lock = impl_->mu.read();
  return impl_->by_template.contains(template_id);
}

}  // namespace faceid::store
