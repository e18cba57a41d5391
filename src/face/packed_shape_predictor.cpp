// Packs dlib's shape predictor into flat arrays. The file is read with dlib's own
// deserializers in the order dlib::deserialize(shape_predictor&) uses: version (1), initial
// shape, forests, anchor indices, deltas.
#include "face/packed_shape_predictor.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>

#include "face/model_cache.h"

namespace faceid::face {
namespace {

constexpr size_t kHugePage = 2 << 20;
constexpr char kCacheMagic[8] = {'F', 'I', 'D', 'S', 'P', 'v', '1', 0};

Error bad_model(const std::string& path, const std::string& why) {
  return make_error("models_unavailable", "cannot load " + path + ": " + why);
}

}  // namespace

void PackedShapePredictor::FreeDeleter::operator()(float* p) const { std::free(p); }

Result<PackedShapePredictor> PackedShapePredictor::load_cached(const std::string& dat_path,
                                                               const std::string& cache_path) {
  std::optional<SourceStamp> stamp;
  struct stat st {};
  if (!cache_path.empty() && ::stat(dat_path.c_str(), &st) == 0) {
    stamp =
        SourceStamp{static_cast<std::uint64_t>(st.st_size),
                    static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
    if (auto cached = read_cache(cache_path, *stamp); cached.ok()) return cached;
  }
  auto p = load(dat_path);
  if (p.ok() && stamp) (void)p->write_cache(cache_path, *stamp);
  return p;
}

Status PackedShapePredictor::write_cache(const std::string& path, const SourceStamp& from) const {
  return write_cache_file(path, [&](CacheWriter& w) {
    w.put(kCacheMagic);
    w.put(from);
    for (std::uint64_t v : {levels_, trees_, splits_per_tree_, leaves_per_tree_, dims_}) w.put(v);
    w.put(&initial_shape_(0), dims_ * sizeof(float));
    for (size_t level = 0; level < levels_; ++level) {
      const std::uint64_t features = anchor_idx_[level].size();
      w.put(features);
      for (unsigned long a : anchor_idx_[level]) w.put(static_cast<std::uint64_t>(a));
      for (const auto& d : deltas_[level]) {
        w.put(d.x());
        w.put(d.y());
      }
    }
    w.put(splits_.data(), splits_.size() * sizeof(Split));
    w.put(leaves_.get(), levels_ * trees_ * leaves_per_tree_ * dims_ * sizeof(float));
  });
}

Result<PackedShapePredictor> PackedShapePredictor::read_cache(const std::string& path,
                                                              const SourceStamp& from) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("models_unavailable", "no packed shape predictor");
  CacheReader r(in);
  char magic[sizeof(kCacheMagic)];
  SourceStamp stamp;
  std::uint64_t sizes[5];
  if (!r.get(&magic) || std::memcmp(magic, kCacheMagic, sizeof(magic)) != 0 || !r.get(&stamp) ||
      stamp.size != from.size || stamp.mtime_ns != from.mtime_ns || !r.get(&sizes)) {
    return bad_model(path, "stale or foreign packed shape predictor");
  }
  PackedShapePredictor p;
  p.levels_ = sizes[0], p.trees_ = sizes[1], p.splits_per_tree_ = sizes[2];
  p.leaves_per_tree_ = sizes[3], p.dims_ = sizes[4];
  // The limits of load(): a damaged header must not ask for absurd allocations.
  if (p.levels_ == 0 || p.levels_ > 100 || p.trees_ == 0 || p.trees_ > 10000 ||
      p.leaves_per_tree_ != p.splits_per_tree_ + 1 || p.leaves_per_tree_ > 4096 || p.dims_ == 0 ||
      p.dims_ > 1000) {
    return bad_model(path, "implausible packed shape predictor");
  }
  p.initial_shape_.set_size(static_cast<long>(p.dims_));
  if (!r.get(&p.initial_shape_(0), p.dims_ * sizeof(float))) return bad_model(path, "truncated");
  p.anchor_idx_.resize(p.levels_);
  p.deltas_.resize(p.levels_);
  for (size_t level = 0; level < p.levels_; ++level) {
    std::uint64_t features = 0;
    if (!r.get(&features) || features > 100000) return bad_model(path, "truncated");
    p.anchor_idx_[level].resize(features);
    p.deltas_[level].resize(features);
    for (auto& a : p.anchor_idx_[level]) {
      std::uint64_t v = 0;
      if (!r.get(&v)) return bad_model(path, "truncated");
      a = v;
    }
    for (auto& d : p.deltas_[level]) {
      float x = 0, y = 0;
      if (!r.get(&x) || !r.get(&y)) return bad_model(path, "truncated");
      d = dlib::vector<float, 2>(x, y);
    }
  }
  if (auto s = p.allocate_leaves(path); !s) return s.error();
  if (!r.get(p.splits_.data(), p.splits_.size() * sizeof(Split)) ||
      !r.get(p.leaves_.get(),
             p.levels_ * p.trees_ * p.leaves_per_tree_ * p.dims_ * sizeof(float)) ||
      !r.checksum_matches()) {
    return bad_model(path, "damaged packed shape predictor");
  }
  if (auto s = p.validate(path); !s) return s.error();
  return p;
}

Result<PackedShapePredictor> PackedShapePredictor::load(const std::string& dat_path) {
  std::ifstream in(dat_path, std::ios::binary);
  if (!in) return make_error("models_unavailable", "missing model file " + dat_path);
  PackedShapePredictor p;
  using dlib::deserialize;
  try {
    int version = 0;
    dlib::deserialize(version, in);
    if (version != 1) return bad_model(dat_path, "unexpected shape predictor version");
    dlib::deserialize(p.initial_shape_, in);
    p.dims_ = static_cast<size_t>(p.initial_shape_.size());
    // forests: std::vector<std::vector<regression_tree>>, streamed tree by tree straight
    // into the packed block so the ~100 MB of leaves are never held twice.
    unsigned long levels = 0;
    dlib::deserialize(levels, in);
    if (levels == 0 || levels > 100) return bad_model(dat_path, "implausible cascade depth");
    p.levels_ = levels;
    dlib::impl::regression_tree tree;
    for (size_t level = 0; level < p.levels_; ++level) {
      unsigned long trees = 0;
      dlib::deserialize(trees, in);
      if (level == 0) {
        if (trees == 0 || trees > 10000) return bad_model(dat_path, "implausible forest size");
        p.trees_ = trees;
      } else if (trees != p.trees_) {
        return bad_model(dat_path, "uneven cascade");
      }
      for (size_t t = 0; t < p.trees_; ++t) {
        deserialize(tree, in);  // hidden friend of regression_tree: found by ADL only
        if (level == 0 && t == 0) {
          if (auto s = p.allocate(tree, dat_path); !s) return s.error();
        }
        if (auto s = p.pack(level, t, tree, dat_path); !s) return s.error();
      }
    }
    dlib::deserialize(p.anchor_idx_, in);
    dlib::deserialize(p.deltas_, in);
  } catch (const std::exception& e) {
    return bad_model(dat_path, e.what());
  }
  if (auto s = p.validate(dat_path); !s) return s.error();
  return p;
}

// Every index the evaluator follows must be in range, so a corrupt file fails here
// instead of reading out of bounds later.
Status PackedShapePredictor::validate(const std::string& path) const {
  if (anchor_idx_.size() != levels_ || deltas_.size() != levels_ || dims_ % 2 != 0) {
    return bad_model(path, "inconsistent shape predictor");
  }
  for (size_t level = 0; level < levels_; ++level) {
    const size_t features = deltas_[level].size();
    if (anchor_idx_[level].size() != features) return bad_model(path, "inconsistent features");
    for (unsigned long a : anchor_idx_[level]) {
      if (a >= dims_ / 2) return bad_model(path, "anchor index out of range");
    }
    const Split* begin = splits_.data() + level * trees_ * splits_per_tree_;
    for (const Split* s = begin; s != begin + trees_ * splits_per_tree_; ++s) {
      if (s->idx1 >= features || s->idx2 >= features)
        return bad_model(path, "split index out of range");
    }
  }
  return Status::Ok();
}

Status PackedShapePredictor::allocate(const dlib::impl::regression_tree& first,
                                      const std::string& path) {
  splits_per_tree_ = first.splits.size();
  leaves_per_tree_ = first.leaf_values.size();
  if (leaves_per_tree_ != splits_per_tree_ + 1 || leaves_per_tree_ > 4096) {
    return bad_model(path, "tree not full");
  }
  return allocate_leaves(path);
}

Status PackedShapePredictor::allocate_leaves(const std::string& path) {
  const size_t floats = levels_ * trees_ * leaves_per_tree_ * dims_;
  const size_t bytes = (floats * sizeof(float) + kHugePage - 1) / kHugePage * kHugePage;
  void* block = nullptr;
  if (posix_memalign(&block, kHugePage, bytes) != 0) return bad_model(path, "out of memory");
  madvise(block, bytes, MADV_HUGEPAGE);  // a hint: fewer TLB misses on the random leaf reads
  leaves_ = std::shared_ptr<float>(static_cast<float*>(block), FreeDeleter{});
  splits_.resize(levels_ * trees_ * splits_per_tree_);
  return Status::Ok();
}

Status PackedShapePredictor::pack(size_t level, size_t t, const dlib::impl::regression_tree& tree,
                                  const std::string& path) {
  if (tree.splits.size() != splits_per_tree_ || tree.leaf_values.size() != leaves_per_tree_) {
    return bad_model(path, "uneven trees");
  }
  const size_t index = level * trees_ + t;
  Split* splits = splits_.data() + index * splits_per_tree_;
  for (const auto& s : tree.splits) {
    *splits++ = {static_cast<unsigned int>(s.idx1), static_cast<unsigned int>(s.idx2), s.thresh};
  }
  float* out = leaves_.get() + index * leaves_per_tree_ * dims_;
  for (const auto& leaf : tree.leaf_values) {
    if (static_cast<size_t>(leaf.size()) != dims_) return bad_model(path, "leaf size");
    std::memcpy(out, &leaf(0), dims_ * sizeof(float));
    out += dims_;
  }
  return Status::Ok();
}

dlib::full_object_detection PackedShapePredictor::operator()(
    const dlib::cv_image<dlib::bgr_pixel>& image, const dlib::rectangle& rect) const {
  dlib::matrix<float, 0, 1> current_shape = initial_shape_;
  float* shape = &current_shape(0);
  std::vector<float> features;
  std::vector<const float*> chosen(trees_);
  for (size_t level = 0; level < levels_; ++level) {
    dlib::impl::extract_feature_pixel_values(image, rect, current_shape, initial_shape_,
                                             anchor_idx_[level], deltas_[level], features);
    // Walk every tree of the level first (the features do not change within a level), then
    // add the chosen leaves in tree order: the same sums, in the same order, as dlib.
    const Split* splits = splits_.data() + level * trees_ * splits_per_tree_;
    const float* leaves = leaves_.get() + level * trees_ * leaves_per_tree_ * dims_;
    for (size_t t = 0; t < trees_; ++t) {
      const Split* tree = splits + t * splits_per_tree_;
      size_t i = 0;
      while (i < splits_per_tree_) {
        const Split& s = tree[i];
        i = (features[s.idx1] - features[s.idx2] > s.thresh) ? 2 * i + 1 : 2 * i + 2;
      }
      chosen[t] = leaves + (t * leaves_per_tree_ + (i - splits_per_tree_)) * dims_;
      for (size_t d = 0; d < dims_; d += 16) __builtin_prefetch(chosen[t] + d);
    }
    for (size_t t = 0; t < trees_; ++t) {
      const float* leaf = chosen[t];
      for (size_t d = 0; d < dims_; ++d) shape[d] += leaf[d];
    }
  }
  const dlib::point_transform_affine to_image = dlib::impl::unnormalizing_tform(rect);
  std::vector<dlib::point> parts(num_parts());
  for (size_t i = 0; i < parts.size(); ++i)
    parts[i] = to_image(dlib::impl::location(current_shape, i));
  return dlib::full_object_detection(rect, parts);
}

}  // namespace faceid::face
