// HnswFaceIndex on hnswlib 0.6.2. hnswlib names points by a caller-chosen "label"; here a label
// is a node number in the current graph, and this file maps nodes to (template_id, user_id).
// Removal marks the node deleted (hnswlib skips it in results but cannot unlink it); a removed
// template re-added with the same vector is revived in place; anything else gets a new node.
// Updating nodes in place via hnswlib's addPoint-on-existing-label was measured and rejected:
// on 10k clustered vectors with half replaced, exact self-match misses rose from 1% to 6%.
// Deleted nodes are dropped by rebuilding the graph (compaction) once they pile up.
//
// Memory: hnswlib keeps each node's vector inline with its base-layer links. A float32 vector
// is 512 bytes, 55 % of what a template cost (917 B at 1M, docs/performance.md); the graph
// here holds an int8 code instead (per-vector scale, 136 bytes), whose distance is within
// ~0.01 of the true one. The float32 vectors are written to a file (vectors.f32, one slot per
// node) and read back with pread() only for the `recheck` best candidates of a search: they
// stay in the page cache, not in the process.
//
// Persistence (save/load): graph.hnsw (hnswlib's own format), vectors.f32, and manifest.bin
// (coverage, node owners, sizes and checksums of the other two, its own checksum), written
// last. The manifest is removed before the first change after a save or load.
#include "store/index/hnsw_face_index.h"

#include <fcntl.h>
#include <hnswlib/hnswlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "common/hash64.h"
#if defined(__SSE4_1__)
#include <smmintrin.h>
#endif

namespace faceid::store {
namespace {

constexpr std::size_t kMinDeletedForCompaction = 1024;
constexpr std::size_t kMinCapacity = 16;
constexpr char kGraphFile[] = "graph.hnsw";
constexpr char kVectorFile[] = "vectors.f32";
constexpr char kManifestFile[] = "manifest.bin";
constexpr char kManifestMagic[8] = {'F', 'I', 'D', 'X', 'v', '3', 0, 0};

// ---- int8 codes: what the graph stores and compares -------------------------------------

// v ~= scale * q; norm2 = |scale * q|^2, so that |a - b|^2 = na + nb - 2 sa sb (qa . qb).
struct Code {
  float scale;
  float norm2;
  std::int8_t q[kFaceDimensions];
};
static_assert(sizeof(Code) == 136);

Code encode(const float* v) {
  float max_abs = 0;
  for (std::size_t i = 0; i < kFaceDimensions; ++i) max_abs = std::max(max_abs, std::fabs(v[i]));
  Code c{};
  c.scale = max_abs / 127.f;
  if (c.scale == 0) return c;
  double norm2 = 0;
  for (std::size_t i = 0; i < kFaceDimensions; ++i) {
    const long q = std::clamp(std::lround(v[i] / c.scale), -127L, 127L);
    c.q[i] = static_cast<std::int8_t>(q);
    norm2 += static_cast<double>(q) * q;
  }
  c.norm2 = static_cast<float>(norm2 * c.scale * c.scale);
  return c;
}

std::int32_t dot(const std::int8_t* a, const std::int8_t* b) {
#if defined(__SSE4_1__)
  __m128i acc = _mm_setzero_si128();
  for (std::size_t i = 0; i < kFaceDimensions; i += 16) {
    const __m128i va = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i));
    const __m128i vb = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i));
    acc = _mm_add_epi32(acc, _mm_madd_epi16(_mm_cvtepi8_epi16(va), _mm_cvtepi8_epi16(vb)));
    acc = _mm_add_epi32(acc, _mm_madd_epi16(_mm_cvtepi8_epi16(_mm_srli_si128(va, 8)),
                                            _mm_cvtepi8_epi16(_mm_srli_si128(vb, 8))));
  }
  acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, _MM_SHUFFLE(1, 0, 3, 2)));
  acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(acc);
#else
  std::int32_t sum = 0;
  for (std::size_t i = 0; i < kFaceDimensions; ++i) sum += std::int32_t{a[i]} * b[i];
  return sum;
#endif
}

// Squared L2 between two codes (hnswlib's DISTFUNC).
float code_distance(const void* a, const void* b, const void* /*param*/) {
  const Code& x = *static_cast<const Code*>(a);
  const Code& y = *static_cast<const Code*>(b);
  const float d = x.norm2 + y.norm2 - 2.f * x.scale * y.scale * static_cast<float>(dot(x.q, y.q));
  return d > 0 ? d : 0;
}

class Int8Space final : public hnswlib::SpaceInterface<float> {
 public:
  std::size_t get_data_size() override { return sizeof(Code); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return &code_distance; }
  void* get_dist_func_param() override { return &dimensions_; }

 private:
  std::size_t dimensions_ = kFaceDimensions;
};

// ---- files ------------------------------------------------------------------------------

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

[[noreturn]] void throw_io(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

// One float32 vector per graph node, at offset node * 512. Thread-safe (pread/pwrite).
class VectorFile {
 public:
  // An anonymous temporary file (gone with the process).
  VectorFile() {
    const char* tmp = std::getenv("TMPDIR");
    const std::string dir = tmp && *tmp ? tmp : "/tmp";
    fd_ = Fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
    if (fd_.get() < 0) {
      std::string name = dir + "/faceid-vectors-XXXXXX";
      fd_ = Fd(::mkstemp(name.data()));
      if (fd_.get() < 0) throw_io("cannot create a vector file in " + dir);
      ::unlink(name.c_str());
    }
  }
  // A named file; `truncate` starts it empty.
  VectorFile(const std::string& path, bool truncate)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0600)) {
    if (fd_.get() < 0) throw_io("cannot open " + path);
  }

  void write(std::size_t node, const Vector128& v) const {
    const auto n = ::pwrite(fd_.get(), v.data(), sizeof(Vector128),
                            static_cast<off_t>(node * sizeof(Vector128)));
    if (n != static_cast<ssize_t>(sizeof(Vector128))) throw_io("cannot write a face vector");
  }
  bool read(std::size_t node, Vector128* out) const {
    return ::pread(fd_.get(), out->data(), sizeof(Vector128),
                   static_cast<off_t>(node * sizeof(Vector128))) ==
           static_cast<ssize_t>(sizeof(Vector128));
  }
  int fd() const { return fd_.get(); }

 private:
  Fd fd_;
};

// Checksum of the first `bytes` bytes of a file; false if it is shorter.
bool checksum_file(int fd, std::uint64_t bytes, std::uint64_t* out) {
  std::vector<char> buffer(1 << 20);
  Hash64 sum;
  std::uint64_t done = 0;
  while (done < bytes) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(bytes - done, buffer.size()));
    const auto n = ::pread(fd, buffer.data(), want, static_cast<off_t>(done));
    if (n <= 0) return false;
    sum.add(buffer.data(), static_cast<std::size_t>(n));
    done += static_cast<std::uint64_t>(n);
  }
  *out = sum.value();
  return true;
}

std::uint64_t file_size(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

void sync_path(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) throw_io("cannot sync " + path);
}

// Little-endian-as-the-machine binary writer/reader for the manifest. Both stream through the
// file and checksum what passes: at 1M templates the manifest is ~50 MB, which held in memory
// at once would sit on top of the loaded graph in the service's peak RSS.
class Writer {
 public:
  explicit Writer(std::ostream& out) : out_(out) {}
  template <typename T>
  void put(const T& v) {
    append(&v, sizeof(T));
  }
  void put_string(std::string_view s) {
    put(static_cast<std::uint32_t>(s.size()));
    append(s.data(), s.size());
  }
  // Appends the checksum of everything put before it.
  void finish() {
    flush();
    const std::uint64_t sum = own_.value();
    out_.write(reinterpret_cast<const char*>(&sum), sizeof(sum));
  }

 private:
  static constexpr std::size_t kChunk = 1 << 20;
  void append(const void* data, std::size_t n) {
    const auto* p = static_cast<const char*>(data);
    buffer_.insert(buffer_.end(), p, p + n);
    if (buffer_.size() >= kChunk) flush();
  }
  void flush() {
    own_.add(buffer_.data(), buffer_.size());
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
  }
  std::ostream& out_;
  std::vector<char> buffer_;
  Hash64 own_;
};

class Reader {
 public:
  // `length`: the bytes before the trailing checksum.
  Reader(std::istream& in, std::uint64_t length) : in_(in), remaining_(length) {}
  template <typename T>
  bool get(T* v) {
    return take(v, sizeof(T));
  }
  bool get_string(std::string* s) {
    std::uint32_t n = 0;
    if (!get(&n) || n > remaining_) return false;
    s->resize(n);
    return take(s->data(), n);
  }
  bool at_end() const { return remaining_ == 0; }
  // Once everything was read: whether the trailing checksum matches it.
  bool checksum_matches() {
    std::uint64_t stored = 0;
    return at_end() && in_.read(reinterpret_cast<char*>(&stored), sizeof(stored)) &&
           stored == own_.value();
  }

 private:
  bool take(void* dst, std::size_t n) {
    if (n > remaining_ || !in_.read(static_cast<char*>(dst), static_cast<std::streamsize>(n))) {
      return false;
    }
    own_.add(dst, n);
    remaining_ -= n;
    return true;
  }
  std::istream& in_;
  std::uint64_t remaining_;
  Hash64 own_;
};

std::string join(const std::string& dir, const char* name) { return dir + "/" + name; }

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

// hnswlib's graph plus the distance space it points into (so the pair never moves apart).
struct Graph {
  Graph(const HnswFaceIndexOptions& o, std::size_t capacity)
      : hnsw(&space, std::max(kMinCapacity, capacity), o.m, o.ef_construction, o.random_seed) {
    hnsw.setEf(o.ef_search);
  }
  // A saved graph, with room for `capacity` nodes (at least the saved ones).
  Graph(const std::string& file, std::size_t capacity, std::size_t ef)
      : hnsw(&space, file, false, capacity) {
    hnsw.setEf(ef);
  }

  Int8Space space;
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

// The owners of templates, interned: each distinct user id is stored once in an append-only
// arena (stable addresses) and numbered from 1 (0 = nobody); an open-addressing table finds
// a number by id. ~60 bytes a user where a std::unordered_map<std::string, ...> took ~120,
// which at one template per account was a quarter of the index. Numbers are never reused;
// a user whose templates are all removed keeps its entry until the next compaction.
class UserTable {
 public:
  using Id = std::uint32_t;

  Id intern(std::string_view user) {
    if (Id id = find(user)) return id;
    if ((names_.size() + 1) * 4 > slots_.size() * 3) grow();
    names_.push_back(store(user));
    const Id id = static_cast<Id>(names_.size());
    place(id);
    return id;
  }
  Id find(std::string_view user) const {
    if (slots_.empty()) return 0;
    for (std::size_t i = hash(user) & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i] == 0) return 0;
      if (name(slots_[i]) == user) return slots_[i];
    }
  }
  std::string_view name(Id id) const {
    const char* p = names_[id - 1];
    std::uint16_t length = 0;
    std::memcpy(&length, p, sizeof(length));
    return {p + sizeof(length), length};
  }
  std::size_t size() const { return names_.size(); }
  // Room for `n` users without regrowing (a rebuild knows its size: growing by doubling left
  // the old arrays behind as free heap, ~30 MB at 1M).
  void reserve(std::size_t n) {
    names_.reserve(n);
    std::size_t slots = 16;
    while (n * 4 > slots * 3) slots *= 2;
    if (slots > slots_.size()) {
      slots_.assign(slots, 0);
      for (Id id = 1; id <= names_.size(); ++id) place(id);
    }
  }

 private:
  static constexpr std::size_t kBlock = 1 << 20;
  static std::size_t hash(std::string_view s) { return std::hash<std::string_view>{}(s); }

  const char* store(std::string_view user) {
    const auto length = static_cast<std::uint16_t>(std::min<std::size_t>(user.size(), 65535));
    const std::size_t need = sizeof(length) + length;
    if (blocks_.empty() || used_ + need > block_size_) {
      block_size_ = std::max(kBlock, need);
      blocks_.push_back(std::make_unique<char[]>(block_size_));
      used_ = 0;
    }
    char* p = blocks_.back().get() + used_;
    std::memcpy(p, &length, sizeof(length));
    std::memcpy(p + sizeof(length), user.data(), length);
    used_ += need;
    return p;
  }
  void place(Id id) {
    std::size_t i = hash(name(id)) & (slots_.size() - 1);
    while (slots_[i] != 0) i = (i + 1) & (slots_.size() - 1);
    slots_[i] = id;
  }
  void grow() {
    slots_.assign(std::max<std::size_t>(16, slots_.size() * 2), 0);
    for (Id id = 1; id <= names_.size(); ++id) place(id);
  }

  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t used_ = 0, block_size_ = 0;
  std::vector<const char*> names_;  // by Id - 1: [uint16 length][bytes]
  std::vector<Id> slots_;           // power-of-two size, 0 = empty
};

}  // namespace

struct HnswFaceIndex::Impl {
  using Node = hnswlib::tableint;  // hnswlib's internal, dense node number
  struct Fresh {                   // a template waiting for a node
    std::int64_t template_id;
    std::string_view user_id;
    const Vector128* embedding;
  };

  Impl(const HnswFaceIndexOptions& o, std::unique_ptr<VectorFile> file,
       std::unique_ptr<Graph> g = nullptr)
      : options(o),
        graph(g ? std::move(g) : std::make_unique<Graph>(o, o.initial_capacity)),
        vectors(std::move(file)) {}

  // A new index reserves what it is sized for up front (a loaded one sizes itself).
  void reserve_tables(std::size_t capacity) {
    owners.reserve(capacity);
    users.reserve(capacity);
    graph->hnsw.label_lookup_.reserve(capacity);
  }

  // A fresh vector file: named in options.directory (the saved index there is void from now
  // on), else anonymous. `suffix` names a file being built beside the live one (compaction).
  static std::unique_ptr<VectorFile> new_vector_file(const HnswFaceIndexOptions& o,
                                                     const char* suffix = "") {
    if (o.directory.empty()) return std::make_unique<VectorFile>();
    std::filesystem::create_directories(o.directory);
    ::unlink(join(o.directory, kManifestFile).c_str());
    // A new inode: another index object (or process) may still read the old file.
    const std::string path = join(o.directory, kVectorFile) + suffix;
    ::unlink(path.c_str());
    return std::make_unique<VectorFile>(path, true);
  }

  WriterFirstMutex mu;
  // Everything below is guarded by `mu` (read lock for search and getters, write lock else).
  // The graph's labels are the template ids: hnswlib's own label map is the only map from
  // template to node (a second one cost ~40 bytes a template), and a removed template keeps
  // its node (marked deleted) until compaction, so it can be revived.
  HnswFaceIndexOptions options;
  std::unique_ptr<Graph> graph;
  std::unique_ptr<VectorFile> vectors;  // float32 copy of every node's vector, by Node
  // A saved manifest describes the current state (no change since save/load); cleared, and
  // the manifest file removed, before the next change. Atomic: save() runs under a read lock.
  mutable std::atomic<bool> saved{false};
  // Owner of each node (a number in `users`); 0 for a removed template. remove_user() finds
  // a user's nodes by scanning (a few ms at 1M, for a rare operation).
  std::vector<UserTable::Id> owners;
  std::size_t live = 0;  // nodes with an owner
  UserTable users;

  static hnswlib::labeltype label_of(std::int64_t template_id) {
    return static_cast<hnswlib::labeltype>(template_id);
  }
  std::int64_t template_of(Node node) const {
    return static_cast<std::int64_t>(graph->hnsw.getExternalLabel(node));
  }
  std::optional<Node> node_of(std::int64_t template_id) const {
    const auto& lookup = graph->hnsw.label_lookup_;
    auto it = lookup.find(label_of(template_id));
    if (it == lookup.end()) return std::nullopt;
    return it->second;
  }
  std::size_t node_count() const { return graph->hnsw.cur_element_count; }
  std::size_t deleted() const { return node_count() - live; }

  void attach(Node node, std::string_view user_id) {
    if (owners.size() <= node) owners.resize(node + 1, 0);
    if (!owners[node]) ++live;
    owners[node] = users.intern(user_id);
  }

  IndexCoverage coverage() const {
    IndexCoverage c;
    for (Node node = 0; node < owners.size(); ++node) {
      if (!owners[node]) continue;
      const std::int64_t template_id = template_of(node);
      ++c.templates;
      c.id_sum += template_id;
      c.max_id = std::max(c.max_id, template_id);
    }
    return c;
  }

  // Before any change: a saved manifest no longer describes the index.
  void touch() {
    if (saved.exchange(false)) ::unlink(join(options.directory, kManifestFile).c_str());
  }

  Vector128 stored(Node node) const {
    Vector128 v;
    if (!vectors->read(node, &v)) v.fill(std::numeric_limits<float>::quiet_NaN());
    return v;
  }

  void remove_locked(Node node) {
    touch();
    graph->hnsw.markDelete(graph->hnsw.getExternalLabel(node));
    owners[node] = 0;
    --live;
  }

  // Bitwise identity is what is meant: the same stored vector (NaN/inf never get here).
  static bool same_bits(const void* stored, const Vector128& v) {
    // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
    return std::memcmp(stored, v.data(), sizeof(Vector128)) == 0;
  }

  // True when the template was handled without touching the graph (unchanged, new owner, or
  // a removed template revived with its old vector). A changed vector goes to insert_nodes,
  // where hnswlib updates the node in place.
  bool add_in_place(std::int64_t template_id, std::string_view user_id, const Vector128& v) {
    const std::optional<Node> node = node_of(template_id);
    if (!node) return false;
    const Vector128 old = stored(*node);
    if (!same_bits(old.data(), v)) return false;
    const UserTable::Id owner = owners.size() > *node ? owners[*node] : 0;
    if (owner && users.name(owner) == user_id) return true;
    touch();
    if (!owner) graph->hnsw.unmarkDelete(label_of(template_id));
    attach(*node, user_id);
    return true;
  }

  void reserve(std::size_t extra) {
    const std::size_t needed = node_count() + extra;
    const std::size_t capacity = graph->hnsw.max_elements_;
    // Grows by a quarter: at 1M templates doubling would reserve ~300 MB nobody uses yet.
    if (needed > capacity) {
      graph->hnsw.resizeIndex(std::max(needed, capacity + capacity / 4 + kMinCapacity));
    }
  }

  // Adds (or, for an existing template, updates) nodes for `batch` on several threads
  // (hnswlib allows concurrent addPoint with distinct labels); each template is fully added
  // or not at all. Requires reserve() first.
  Status insert_nodes(const std::vector<Fresh>& batch) {
    std::vector<Node> placed(batch.size(), 0);
    std::vector<char> done(batch.size(), 0);
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    std::mutex error_mu;
    auto worker = [&] {
      for (std::size_t i = next++; i < batch.size() && !failed; i = next++) {
        try {
          const Code code = encode(batch[i].embedding->data());
          placed[i] = graph->hnsw.addPoint(&code, label_of(batch[i].template_id), -1);
          vectors->write(placed[i], *batch[i].embedding);
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

    if (owners.size() < node_count()) owners.resize(node_count(), 0);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (done[i]) {
        attach(placed[i], batch[i].user_id);
        continue;
      }
      // A failed insert (allocation failure): if hnswlib got as far as registering the
      // label, hide that node (it has no owner, so it counts as deleted until compaction).
      const std::optional<Node> node = node_of(batch[i].template_id);
      if (node && !owners[*node]) {
        try {
          graph->hnsw.markDelete(label_of(batch[i].template_id));
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
      touch();
      reserve(fresh.size());
    } catch (const std::exception& e) {
      return index_error(e);
    }
    Status status = insert_nodes(fresh);
    maybe_compact();
    return status;
  }

  void maybe_compact() {
    if (deleted() >= kMinDeletedForCompaction &&
        static_cast<double>(deleted()) > options.max_deleted_fraction * node_count()) {
      (void)compact_locked();  // on failure the old graph keeps serving; retried next write
    }
  }

  Status compact_locked() {
    touch();
    constexpr char kCompacting[] = ".compact";
    // In chunks, so that the float32 copies read back never exceed a few MB.
    constexpr std::size_t kChunk = 8192;
    try {
      Impl rebuilt(options, new_vector_file(options, kCompacting),
                   std::make_unique<Graph>(options, live + live / 4));
      std::vector<Vector128> chunk;
      chunk.reserve(kChunk);
      std::vector<Fresh> batch;
      for (Node node = 0; node < owners.size();) {
        chunk.clear();
        batch.clear();
        for (; node < owners.size() && chunk.size() < kChunk; ++node) {
          if (!owners[node]) continue;
          chunk.push_back(stored(node));
          batch.push_back(Fresh{template_of(node), users.name(owners[node]), &chunk.back()});
        }
        if (Status s = rebuilt.insert_nodes(batch); !s.ok()) return s;
      }
      if (!options.directory.empty()) {
        const std::string file = join(options.directory, kVectorFile);
        if (::rename((file + kCompacting).c_str(), file.c_str()) != 0) {
          throw_io("cannot replace " + file);
        }
      }
      vectors = std::move(rebuilt.vectors);
      graph = std::move(rebuilt.graph);
      owners = std::move(rebuilt.owners);
      live = rebuilt.live;
      users = std::move(rebuilt.users);  // only live owners: compaction drops the others
    } catch (const std::exception& e) {
      return index_error(e);
    }
    return Status::Ok();
  }
};

HnswFaceIndex::HnswFaceIndex(const HnswFaceIndexOptions& options)
    : impl_(std::make_unique<Impl>(options, Impl::new_vector_file(options))) {
  impl_->reserve_tables(options.initial_capacity);
}

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
  const auto node = impl_->node_of(template_id);
  if (!node || !impl_->owners[*node]) return false;
  impl_->remove_locked(*node);
  impl_->maybe_compact();
  return true;
}

std::size_t HnswFaceIndex::remove_user(std::string_view user_id) {
  auto lock = impl_->mu.write();
  const UserTable::Id owner = impl_->users.find(user_id);
  if (owner == 0) return 0;
  std::vector<Impl::Node> nodes;
  for (Impl::Node node = 0; node < impl_->owners.size(); ++node) {
    if (impl_->owners[node] == owner) nodes.push_back(node);
  }
  for (Impl::Node node : nodes) impl_->remove_locked(node);
  impl_->maybe_compact();
  return nodes.size();
}

std::vector<IndexHit> HnswFaceIndex::search(const Vector128& query, int k) const {
  auto lock = impl_->mu.read();
  const Impl& impl = *impl_;
  if (k <= 0 || impl.live == 0 || !all_finite(query)) return {};
  const std::size_t want = std::min<std::size_t>(static_cast<std::size_t>(k), impl.live);
  const std::size_t recheck = std::min(std::max(want, impl.options.recheck), impl.live);
  const Code code = encode(query.data());
  auto candidates = impl.graph->hnsw.searchKnn(&code, recheck);

  std::vector<IndexHit> hits;
  hits.reserve(candidates.size());
  for (; !candidates.empty(); candidates.pop()) {
    const auto template_id = static_cast<std::int64_t>(candidates.top().second);
    const auto node = impl.node_of(template_id);
    if (!node || !impl.owners[*node]) continue;
    const Vector128 exact = impl.stored(*node);
    if (!all_finite(exact)) continue;  // unreadable vector file: skip rather than guess
    hits.push_back(IndexHit{template_id, std::string(impl.users.name(impl.owners[*node])),
                            exact_distance(query.data(), exact.data())});
  }
  std::sort(hits.begin(), hits.end(), [](const IndexHit& a, const IndexHit& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.template_id < b.template_id;
  });
  if (hits.size() > want) hits.resize(want);
  return hits;
}

IndexCoverage HnswFaceIndex::coverage() const {
  auto lock = impl_->mu.read();
  return impl_->coverage();
}

bool HnswFaceIndex::saved() const { return impl_->saved; }

Status HnswFaceIndex::save() const {
  auto lock = impl_->mu.read();
  const Impl& impl = *impl_;
  // What the index holds, not what the database says it should: if they ever differ, the
  // next start sees it and rebuilds.
  const IndexCoverage covers = impl.coverage();
  const std::string& dir = impl.options.directory;
  if (dir.empty()) return make_error("index_error", "the face index has no directory to save to");
  try {
    const std::string manifest = join(dir, kManifestFile);
    std::ofstream out(manifest + ".tmp", std::ios::binary | std::ios::trunc);
    if (!out) throw_io("cannot write " + manifest);
    Writer w(out);
    w.put(kManifestMagic);
    w.put(static_cast<std::uint64_t>(impl.options.m));
    w.put(covers.templates);
    w.put(covers.id_sum);
    w.put(covers.max_id);
    const std::uint64_t node_count = impl.node_count();
    w.put(node_count);

    // The vectors are already on disk (written as nodes were added): sync and checksum them.
    const std::uint64_t vector_bytes = node_count * sizeof(Vector128);
    std::uint64_t vector_sum = 0;
    if (::fsync(impl.vectors->fd()) != 0) throw_io("cannot sync the face vectors");
    if (!checksum_file(impl.vectors->fd(), vector_bytes, &vector_sum)) {
      throw std::runtime_error("the face vector file is shorter than the index");
    }
    w.put(vector_bytes);
    w.put(vector_sum);

    const std::string graph = join(dir, kGraphFile);
    impl.graph->hnsw.saveIndex(graph + ".tmp");
    sync_path(graph + ".tmp");
    Fd graph_fd(::open((graph + ".tmp").c_str(), O_RDONLY | O_CLOEXEC));
    const std::uint64_t graph_bytes = file_size(graph_fd.get());
    std::uint64_t graph_sum = 0;
    if (graph_fd.get() < 0 || !checksum_file(graph_fd.get(), graph_bytes, &graph_sum)) {
      throw_io("cannot read back " + graph);
    }
    w.put(graph_bytes);
    w.put(graph_sum);

    // Owners: users once each, then per node its template and user number (0: removed).
    w.put(static_cast<std::uint64_t>(impl.users.size()));
    for (UserTable::Id id = 1; id <= impl.users.size(); ++id) {
      w.put_string(impl.users.name(id));
    }
    for (Impl::Node node = 0; node < node_count; ++node) {
      w.put(impl.template_of(node));
      w.put(node < impl.owners.size() ? impl.owners[node] : UserTable::Id{0});
    }
    w.finish();
    if (!out.flush()) throw_io("cannot write " + manifest);
    out.close();
    sync_path(manifest + ".tmp");
    if (::rename((graph + ".tmp").c_str(), graph.c_str()) != 0 ||
        ::rename((manifest + ".tmp").c_str(), manifest.c_str()) != 0) {
      throw_io("cannot rename the saved index in " + dir);
    }
    sync_path(dir);
    impl.saved = true;
  } catch (const std::exception& e) {
    return make_error("index_error", "the face index could not be saved", {e.what()});
  }
  return Status::Ok();
}

Result<std::unique_ptr<HnswFaceIndex>> HnswFaceIndex::load(const HnswFaceIndexOptions& options,
                                                           const IndexCoverage& expected) {
  const std::string& dir = options.directory;
  auto damaged = [](const std::string& why) {
    return make_error("index_damaged", "the saved face index is damaged", {why});
  };
  std::ifstream in(join(dir, kManifestFile), std::ios::binary);
  if (dir.empty() || !in) return make_error("index_missing", "no saved face index");
  in.seekg(0, std::ios::end);
  const auto file_bytes = static_cast<std::uint64_t>(std::max<std::streamoff>(0, in.tellg()));
  in.seekg(0);
  if (file_bytes < sizeof(kManifestMagic) + sizeof(std::uint64_t)) return damaged("manifest");
  // The content is trusted only once the trailing checksum matched (checked after the
  // last field; until then nothing read is kept).
  Reader r(in, file_bytes - sizeof(std::uint64_t));
  char magic[sizeof(kManifestMagic)];
  std::uint64_t m = 0, node_count = 0, vector_bytes = 0, vector_sum = 0, graph_bytes = 0,
                graph_sum = 0, user_count = 0;
  IndexCoverage covers;
  if (!r.get(&magic) || std::memcmp(magic, kManifestMagic, sizeof(magic)) != 0 || !r.get(&m) ||
      !r.get(&covers.templates) || !r.get(&covers.id_sum) || !r.get(&covers.max_id) ||
      !r.get(&node_count) || !r.get(&vector_bytes) || !r.get(&vector_sum) || !r.get(&graph_bytes) ||
      !r.get(&graph_sum) || !r.get(&user_count)) {
    return damaged("manifest header");
  }
  if (!(covers == expected)) {
    return make_error("index_stale", "the saved face index covers other templates");
  }
  if (m != options.m) return make_error("index_stale", "the saved face index has another M");

  try {
    auto vectors = std::make_unique<VectorFile>(join(dir, kVectorFile), false);
    std::uint64_t sum = 0;
    if (vector_bytes != node_count * sizeof(Vector128) ||
        !checksum_file(vectors->fd(), vector_bytes, &sum) || sum != vector_sum) {
      return damaged("vector file");
    }
    const std::string graph_file = join(dir, kGraphFile);
    Fd graph_fd(::open(graph_file.c_str(), O_RDONLY | O_CLOEXEC));
    if (graph_fd.get() < 0 || file_size(graph_fd.get()) != graph_bytes ||
        !checksum_file(graph_fd.get(), graph_bytes, &sum) || sum != graph_sum) {
      return damaged("graph file");
    }
    // Room for a little growth without an immediate resize.
    const std::size_t capacity = node_count + node_count / 64 + kMinCapacity;
    auto graph = std::make_unique<Graph>(graph_file, capacity, options.ef_search);
    if (graph->hnsw.cur_element_count != node_count) return damaged("graph size");

    auto index = std::make_unique<HnswFaceIndex>(HnswFaceIndexOptions{});
    index->impl_ = std::make_unique<Impl>(options, std::move(vectors), std::move(graph));
    Impl& impl = *index->impl_;
    for (std::uint64_t i = 0; i < user_count; ++i) {
      std::string user;
      if (!r.get_string(&user) || impl.users.intern(user) != i + 1) {
        return damaged("manifest users");
      }
    }
    impl.owners.assign(node_count, 0);
    for (Impl::Node node = 0; node < node_count; ++node) {
      std::int64_t template_id = 0;
      std::uint32_t user = 0;
      if (!r.get(&template_id) || !r.get(&user) || impl.template_of(node) != template_id) {
        return damaged("manifest nodes");
      }
      if (user == 0) continue;
      if (user > impl.users.size() || impl.graph->hnsw.isMarkedDeleted(node)) {
        return damaged("manifest nodes");
      }
      ++impl.live;
      impl.owners[node] = user;
    }
    if (!r.at_end() || impl.live != static_cast<std::size_t>(expected.templates)) {
      return damaged("manifest nodes");
    }
    if (!r.checksum_matches()) return damaged("manifest checksum");
    impl.saved = true;
    return index;
  } catch (const std::exception& e) {
    return damaged(e.what());
  }
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
  return impl_->live;
}

std::size_t HnswFaceIndex::deleted_count() const {
  auto lock = impl_->mu.read();
  return impl_->deleted();
}

std::size_t HnswFaceIndex::capacity() const {
  auto lock = impl_->mu.read();
  return impl_->graph->hnsw.max_elements_;
}

bool HnswFaceIndex::contains(std::int64_t template_id) const {
  auto lock = impl_->mu.read();
  const auto node = impl_->node_of(template_id);
  return node && impl_->owners[*node] != 0;
}

}  // namespace faceid::store
