// PackedShapePredictor: dlib's 68-point shape predictor (an ensemble of regression trees)
// evaluated from one contiguous, huge-page-backed block instead of dlib's ~250,000 small
// heap allocations. Same model file, same arithmetic in the same order, so the landmarks are
// identical to dlib::shape_predictor's (a test checks it); it only stops the ~7,500 leaf
// reads per face from missing the cache and TLB three times each, which in the full
// pipeline cost ~6 ms per face. Read-only after load: safe to share between threads.
#pragma once

#include <dlib/geometry.h>
#include <dlib/image_processing/full_object_detection.h>
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace faceid::face {

class PackedShapePredictor {
 public:
  static Result<PackedShapePredictor> load(const std::string& dat_path);
  // The same from a packed copy at cache_path (flat arrays: ~0.05 s instead of dlib's ~0.7 s
  // of decoding per start) when it was made from this dat (same size and modification time)
  // and its checksum holds; otherwise loads dat_path and writes the copy, best effort (a
  // read-only models folder only costs the slower load).
  static Result<PackedShapePredictor> load_cached(const std::string& dat_path,
                                                  const std::string& cache_path);

  dlib::full_object_detection operator()(const dlib::cv_image<dlib::bgr_pixel>& image,
                                         const dlib::rectangle& rect) const;

  size_t num_parts() const { return static_cast<size_t>(initial_shape_.size() / 2); }

 private:
  struct Split {
    unsigned int idx1;
    unsigned int idx2;
    float thresh;
  };
  struct FreeDeleter {
    void operator()(float* p) const;
  };

  struct SourceStamp {
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
  };
  static Result<PackedShapePredictor> read_cache(const std::string& path, const SourceStamp& from);
  Status write_cache(const std::string& path, const SourceStamp& from) const;
  Status allocate_leaves(const std::string& path);
  Status validate(const std::string& path) const;
  Status allocate(const dlib::impl::regression_tree& first, const std::string& path);
  Status pack(size_t level, size_t tree_index, const dlib::impl::regression_tree& tree,
              const std::string& path);

  dlib::matrix<float, 0, 1> initial_shape_;
  std::vector<std::vector<unsigned long>> anchor_idx_;
  std::vector<std::vector<dlib::vector<float, 2>>> deltas_;
  size_t levels_ = 0, trees_ = 0, splits_per_tree_ = 0, leaves_per_tree_ = 0, dims_ = 0;
  std::vector<Split> splits_;      // [level][tree][split]
  std::shared_ptr<float> leaves_;  // [level][tree][leaf][dim], one block
};

}  // namespace faceid::face
