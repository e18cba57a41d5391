// HnswFaceIndex on hnswlib 0.6.2. hnswlib identifies points by a caller-chosen "label"; here a
// label is a slot number, and this file maps slots to (template_id, user_id). Removal marks the
// slot deleted in the graph (hnswlib cannot unlink nodes) and puts it on a free list; the next
// add() reuses it through hnswlib's update path (addPoint on an existing label unmarks it and
// rewires its links to the new vector), so churn does not grow memory without bound.
#include "store/index/hnsw_face_index.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

namespace faceid::store {
namespace {

constexpr std::int64_t kNoTemplate = -1;

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

}  // namespace

struct HnswFaceIndex::Impl {
  struct Slot {
    std::int64_t template_id = kNoTemplate;
    const std::string* user_id = nullptr;  // points at a key of `users` (node keys are stable)
  };

  explicit Impl(const HnswFaceIndexOptions& o)
      : options(o),
        space(kFaceDimensions),
        graph(std::make_unique<hnswlib::HierarchicalNSW<float>>(
            &space, std::max<std::size_t>(1, o.initial_capacity), o.m, o.ef_construction,
            o.random_seed)) {
    graph->setEf(o.ef_search);
  }

  // All members below are guarded by `mu` (shared for search, exclusive for writes).
  HnswFaceIndexOptions options;
  hnswlib::L2Space space;  // must outlive `graph`
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph;
  std::vector<Slot> slots;              // indexed by hnswlib label
  std::vector<std::size_t> free_slots;  // labels to reuse (deleted in the graph, or never added)
  std::unordered_map<std::int64_t, std::size_t> by_template;  // template_id -> label
  std::unordered_map<std::string, std::vector<std::int64_t>, StringHash, std::equal_to<>> users;
  mutable std::shared_mutex mu;

  // Makes room for one more point in the graph; doubling keeps the amortised cost low.
  void ensure_room_for_one() {
    if (graph->cur_element_count < graph->max_elements_) return;
    graph->resizeIndex(std::max<std::size_t>(16, graph->max_elements_ * 2));
  }

  void reserve(std::size_t points) {
    if (points > graph->max_elements_) graph->resizeIndex(points);
  }

  std::size_t take_slot() {
    if (!free_slots.empty()) return free_slots.back();  // popped after a successful insert
    slots.emplace_back();
    free_slots.push_back(slots.size() - 1);
    return free_slots.back();
  }

  void attach(std::size_t label, std::int64_t template_id, std::string_view user_id) {
    auto it = users.find(user_id);
    if (it == users.end())
      it = users.emplace(std::string(user_id), std::vector<std::int64_t>{}).first;
    it->second.push_back(template_id);
    slots[label] = Slot{template_id, &it->first};
    by_template[template_id] = label;
  }

  void detach_from_user(std::size_t label) {
    Slot& slot = slots[label];
    auto it = users.find(*slot.user_id);
    std::erase(it->second, slot.template_id);
    if (it->second.empty()) users.erase(it);
    slot.user_id = nullptr;
  }

  // Requires mu held exclusively.
  Status add_locked(std::int64_t template_id, std::string_view user_id, const Vector128& v) {
    try {
      if (auto it = by_template.find(template_id); it != by_template.end()) {
        const std::size_t label = it->second;
        graph->addPoint(v.data(), label);  // existing label: hnswlib updates it in place
        if (*slots[label].user_id != user_id) {
          detach_from_user(label);
          by_template.erase(template_id);
          attach(label, template_id, user_id);
        }
        return Status::Ok();
      }
      ensure_room_for_one();
      const std::size_t label = take_slot();
      graph->addPoint(v.data(), label);
      free_slots.pop_back();
      attach(label, template_id, user_id);
      return Status::Ok();
    } catch (const std::exception& e) {
      return index_error(e);
    }
  }

  // Requires mu held exclusively.
  void remove_locked(std::size_t label) {
    const std::int64_t template_id = slots[label].template_id;
    graph->markDelete(label);
    detach_from_user(label);
    by_template.erase(template_id);
    slots[label] = Slot{};
    free_slots.push_back(label);
  }

  // Inserts brand-new labels [first, first + batch.size()) on several threads; hnswlib supports
  // concurrent addPoint with distinct labels. Returns which inserts succeeded.
  std::vector<char> insert_parallel(const std::vector<const IndexEntry*>& batch, std::size_t first,
                                    unsigned threads, std::exception_ptr* error) {
    std::vector<char> done(batch.size(), 0);
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex error_mu;
    auto worker = [&] {
      for (std::size_t i = next++; i < batch.size() && !failed; i = next++) {
        try {
          graph->addPoint(batch[i]->embedding.data(), first + i);
          done[i] = 1;
        } catch (...) {
          std::lock_guard lock(error_mu);
          if (!*error) *error = std::current_exception();
          failed = true;
        }
      }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& th : pool) th.join();
    return done;
  }
};

HnswFaceIndex::HnswFaceIndex(HnswFaceIndexOptions options)
    : impl_(std::make_unique<Impl>(options)) {}

HnswFaceIndex::~HnswFaceIndex() = default;

Status HnswFaceIndex::add(std::int64_t template_id, std::string user_id,
                          const Vector128& embedding) {
  if (!all_finite(embedding)) return invalid_embedding();
  std::unique_lock lock(impl_->mu);
  return impl_->add_locked(template_id, user_id, embedding);
}

Status HnswFaceIndex::add_batch(std::span<const IndexEntry> entries, unsigned threads) {
  for (const IndexEntry& e : entries) {
    if (!all_finite(e.embedding)) return invalid_embedding();
  }
  // The last occurrence of a template_id wins, as with repeated add() calls.
  std::unordered_map<std::int64_t, std::size_t> last;
  for (std::size_t i = 0; i < entries.size(); ++i) last[entries[i].template_id] = i;

  std::unique_lock lock(impl_->mu);
  Impl& impl = *impl_;
  // Updates and reused slots go one by one; brand-new templates are inserted in parallel.
  std::vector<const IndexEntry*> fresh;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const IndexEntry& e = entries[i];
    if (last[e.template_id] != i) continue;
    if (impl.by_template.contains(e.template_id) || !impl.free_slots.empty()) {
      if (Status s = impl.add_locked(e.template_id, e.user_id, e.embedding); !s.ok()) return s;
    } else {
      fresh.push_back(&e);
    }
  }
  if (fresh.empty()) return Status::Ok();
  try {
    impl.reserve(impl.graph->cur_element_count + fresh.size());
  } catch (const std::exception& e) {
    return index_error(e);
  }
  const std::size_t first = impl.slots.size();
  impl.slots.resize(first + fresh.size());
  std::exception_ptr error;
  const std::vector<char> done = impl.insert_parallel(fresh, first, std::max(1u, threads), &error);
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    if (done[i]) {
      impl.attach(first + i, fresh[i]->template_id, fresh[i]->user_id);
    } else {
      impl.free_slots.push_back(first + i);  // never inserted: addPoint will insert it anew
    }
  }
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      return index_error(e);
    }
  }
  return Status::Ok();
}

bool HnswFaceIndex::remove_template(std::int64_t template_id) {
  std::unique_lock lock(impl_->mu);
  auto it = impl_->by_template.find(template_id);
  if (it == impl_->by_template.end()) return false;
  impl_->remove_locked(it->second);
  return true;
}

std::size_t HnswFaceIndex::remove_user(std::string_view user_id) {
  std::unique_lock lock(impl_->mu);
  auto it = impl_->users.find(user_id);
  if (it == impl_->users.end()) return 0;
  const std::vector<std::int64_t> templates = it->second;  // remove_locked edits the original
  for (std::int64_t template_id : templates) {
    impl_->remove_locked(impl_->by_template.at(template_id));
  }
  return templates.size();
}

std::vector<IndexHit> HnswFaceIndex::search(const Vector128& query, int k) const {
  std::shared_lock lock(impl_->mu);
  const Impl& impl = *impl_;
  if (k <= 0 || impl.by_template.empty() || !all_finite(query)) return {};
  const std::size_t want =
      std::min<std::size_t>(static_cast<std::size_t>(k), impl.by_template.size());
  auto candidates = impl.graph->searchKnn(query.data(), want);

  std::vector<IndexHit> hits;
  hits.reserve(candidates.size());
  for (; !candidates.empty(); candidates.pop()) {
    const std::size_t label = candidates.top().second;
    const char* stored = impl.graph->getDataByInternalId(impl.graph->label_lookup_.at(label));
    const Impl::Slot& slot = impl.slots[label];
    hits.push_back(IndexHit{slot.template_id, *slot.user_id,
                            exact_distance(query.data(), reinterpret_cast<const float*>(stored))});
  }
  std::sort(hits.begin(), hits.end(), [](const IndexHit& a, const IndexHit& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.template_id < b.template_id;
  });
  return hits;
}

void HnswFaceIndex::set_ef_search(std::size_t ef) {
  std::unique_lock lock(impl_->mu);
  impl_->options.ef_search = ef;
  impl_->graph->setEf(ef);
}

std::size_t HnswFaceIndex::ef_search() const {
  std::shared_lock lock(impl_->mu);
  return impl_->options.ef_search;
}

std::size_t HnswFaceIndex::size() const {
  std::shared_lock lock(impl_->mu);
  return impl_->by_template.size();
}

std::size_t HnswFaceIndex::capacity() const {
  std::shared_lock lock(impl_->mu);
  return impl_->graph->max_elements_;
}

bool HnswFaceIndex::contains(std::int64_t template_id) const {
  std::shared_lock lock(impl_->mu);
  return impl_->by_template.contains(template_id);
}

}  // namespace faceid::store
