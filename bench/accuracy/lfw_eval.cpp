// Turns lfw_embed output into the accuracy tables of docs/accuracy.md and, with --table, the
// calibration table the service ships per model_version (src/face/calibration/).
//
// Usage: lfw_eval LFW_DIR OURS.tsv [--ref REF.tsv] [--table OUT.csv] [--seed N]
//
// Sections (markdown on stdout): photos and the quality gate; the standard 6,000 pairs
// (10-fold); all-pairs DET; several templates per person (fusion rules); the duplicate rule at
// 1,000 accounts; a 1:N simulation of the service's decision (face-only with the FPIR budget,
// and 1:1) at N = 100, 1,000, 5,000; the front-end drift against the reference.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "face/face_engine.h"
#include "face/match_calibration.h"

namespace {

using faceid::face::MatchCalibration;
constexpr int kDim = 128;

struct Photo {
  std::string person, file, status;
  int box_w = 0, box_h = 0;
  double face_px = 0, sharpness = 0, brightness = 0, yaw = 0, pitch = 0;
  std::vector<float> e;  // empty: no face
  bool has_face() const { return !e.empty(); }
};

struct Data {
  std::vector<Photo> photos;
  std::map<std::string, int> by_name;  // "person/file" -> index
  std::map<std::string, std::vector<int>> by_person;
};

Data load(const std::string& path) {
  Data d;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    Photo p;
    std::string box, q, failures, emb;
    std::getline(s, p.person, '\t');
    std::getline(s, p.file, '\t');
    std::getline(s, p.status, '\t');
    std::getline(s, box, '\t');
    std::getline(s, q, '\t');
    std::getline(s, failures, '\t');
    std::getline(s, emb);
    int bx, by;
    std::sscanf(box.c_str(), "%d,%d,%d,%d", &bx, &by, &p.box_w, &p.box_h);
    std::sscanf(q.c_str(), "%lf,%lf,%lf,%lf,%lf", &p.face_px, &p.sharpness, &p.brightness, &p.yaw,
                &p.pitch);
    if (p.status != "no_face") {
      std::istringstream es(emb);
      p.e.resize(kDim);
      for (float& v : p.e) es >> v;
    }
    d.by_name[p.person + "/" + p.file] = static_cast<int>(d.photos.size());
    d.by_person[p.person].push_back(static_cast<int>(d.photos.size()));
    d.photos.push_back(std::move(p));
  }
  return d;
}

float dist(const float* a, const float* b) {
  float s = 0;
  for (int i = 0; i < kDim; ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s);
}

// Distance histograms: bin i covers [i, i+1) * kBinWidth.
constexpr double kBinWidth = 0.001;
constexpr int kBins = 2000;
struct Histogram {
  std::vector<double> genuine = std::vector<double>(kBins, 0), impostor = genuine;
  void add(std::vector<double>& h, float d) {
    h[std::min(kBins - 1, static_cast<int>(d / kBinWidth))] += 1;
  }
  double total(const std::vector<double>& h) const {
    return std::accumulate(h.begin(), h.end(), 0.0);
  }
  // Accepted at threshold t: distance <= t (bins fully below t + kBinWidth/2).
  double accepted(const std::vector<double>& h, double t) const {
    const int last = static_cast<int>(std::floor(t / kBinWidth + 1e-9));
    double n = 0;
    for (int i = 0; i < std::min(kBins, last); ++i) n += h[i];
    return n;
  }
  double fmr(double t) const { return accepted(impostor, t) / total(impostor); }
  double fnmr(double t) const { return 1 - accepted(genuine, t) / total(genuine); }
  // The largest threshold (bin edge) whose FMR is at most `target`.
  double threshold_at(double target) const {
    const double n = total(impostor);
    double cum = 0;
    for (int i = 0; i < kBins; ++i) {
      if ((cum + impostor[i]) / n > target) return i * kBinWidth;
      cum += impostor[i];
    }
    return kBins * kBinWidth;
  }
};

std::vector<float> mean_of(const Data& d, const std::vector<int>& ids) {
  std::vector<float> m(kDim, 0);
  for (int id : ids)
    for (int i = 0; i < kDim; ++i) m[i] += d.photos[id].e[i] / ids.size();
  return m;
}

// ---- quality gate -------------------------------------------------------------------------
struct Gate {
  double min_face_px = 0, min_sharpness = 0, min_brightness = 0, max_brightness = 255, max_yaw = 90,
         max_pitch = 90;
  std::vector<std::string> failures(const Photo& p) const {
    std::vector<std::string> f;
    if (p.face_px < min_face_px) f.push_back("face_too_small");
    if (p.sharpness < min_sharpness) f.push_back("blurry");
    if (p.brightness < min_brightness) f.push_back("too_dark");
    if (p.brightness > max_brightness) f.push_back("overexposed");
    if (std::abs(p.yaw) > max_yaw) f.push_back("head_turned");
    if (std::abs(p.pitch) > max_pitch) f.push_back("head_tilted");
    return f;
  }
};

void report_photos(const Data& d, const Gate& old_gate, const Gate& new_gate) {
  int ok = 0, multiple = 0, none = 0, old_refused = 0, new_refused = 0;
  std::map<std::string, int> old_reasons, new_reasons;
  for (const auto& p : d.photos) {
    if (p.status == "ok") ++ok;
    if (p.status == "multiple_faces") ++multiple;
    if (p.status == "no_face") ++none;
    if (p.status != "ok") continue;
    auto fo = old_gate.failures(p), fn = new_gate.failures(p);
    old_refused += !fo.empty();
    new_refused += !fn.empty();
    for (auto& r : fo) ++old_reasons[r];
    for (auto& r : fn) ++new_reasons[r];
  }
  std::printf("| photos | one face | multiple_faces | no face |\n|---:|---:|---:|---:|\n");
  std::printf("| %zu | %d | %d | %d |\n\n", d.photos.size(), ok, multiple, none);
  auto reasons = [](const std::map<std::string, int>& m) {
    std::string s;
    for (auto& [k, v] : m) s += (s.empty() ? "" : ", ") + k + " " + std::to_string(v);
    return s.empty() ? std::string("-") : s;
  };
  std::printf("| quality gate | refused of one-face photos | reasons |\n|---|---:|---|\n");
  std::printf("| old (sharpness >= 40, face >= 40 px, yaw <= 50) | %d (%.1f %%) | %s |\n",
              old_refused, 100.0 * old_refused / ok, reasons(old_reasons).c_str());
  std::printf("| new | %d (%.1f %%) | %s |\n\n", new_refused, 100.0 * new_refused / ok,
              reasons(new_reasons).c_str());
  std::printf(
      "Registrable (one face, passes the new gate): %.1f %% of all photos, %.1f %% of "
      "one-face photos\n\n",
      100.0 * (ok - new_refused) / d.photos.size(), 100.0 * (ok - new_refused) / ok);
}

// Genuine distance (vs the person's other photos) and impostor FMR per quality bucket.
void report_quality_effect(const Data& d, const char* name, double Photo::*field,
                           const std::vector<double>& edges, double t) {
  std::printf("| %s | photos | genuine pairs | FNMR at %.3f | impostor FMR at %.3f |\n", name, t,
              t);
  std::printf("|---|---:|---:|---:|---:|\n");
  std::mt19937 rng(7);
  std::vector<int> all;
  for (int i = 0; i < (int)d.photos.size(); ++i)
    if (d.photos[i].has_face()) all.push_back(i);
  for (size_t b = 0; b + 1 < edges.size(); ++b) {
    double gen = 0, gen_rej = 0, imp = 0, imp_acc = 0;
    int photos = 0;
    for (int i : all) {
      const Photo& p = d.photos[i];
      const double v = std::abs(p.*field);
      if (v < edges[b] || v >= edges[b + 1]) continue;
      ++photos;
      for (int j : d.by_person.at(p.person)) {
        if (j == i || !d.photos[j].has_face()) continue;
        ++gen;
        gen_rej += dist(p.e.data(), d.photos[j].e.data()) > t;
      }
      for (int k = 0; k < 200; ++k) {
        const int j = all[rng() % all.size()];
        if (d.photos[j].person == p.person) continue;
        ++imp;
        imp_acc += dist(p.e.data(), d.photos[j].e.data()) <= t;
      }
    }
    if (photos == 0) continue;
    std::printf("| %g-%g | %d | %.0f | %.1f %% | %.2e |\n", edges[b], edges[b + 1], photos, gen,
                gen ? 100 * gen_rej / gen : 0, imp ? imp_acc / imp : 0);
  }
  std::printf("\n");
}

// ---- the standard pairs ----------------------------------------------------------------------
struct Pair {
  int a = -1, b = -1;
  bool same = false;
};

std::vector<std::vector<Pair>> read_pairs(const std::string& lfw, const Data& d) {
  std::ifstream in(lfw + "/pairs.txt");
  int folds, n;
  in >> folds >> n;
  auto id = [&](const std::string& person, int k) {
    char file[512];
    std::snprintf(file, sizeof file, "%s_%04d.jpg", person.c_str(), k);
    auto it = d.by_name.find(person + "/" + file);
    return it == d.by_name.end() ? -1 : it->second;
  };
  std::vector<std::vector<Pair>> out(folds);
  for (int f = 0; f < folds; ++f) {
    for (int i = 0; i < n; ++i) {
      std::string p;
      int a, b;
      in >> p >> a >> b;
      out[f].push_back({id(p, a), id(p, b), true});
    }
    for (int i = 0; i < n; ++i) {
      std::string p, q;
      int a, b;
      in >> p >> a >> q >> b;
      out[f].push_back({id(p, a), id(q, b), false});
    }
  }
  return out;
}

// Missing faces count as "different" (the pipeline could not say "same").
double pair_distance(const Data& d, const Pair& p) {
  if (p.a < 0 || p.b < 0 || !d.photos[p.a].has_face() || !d.photos[p.b].has_face()) return 9;
  return dist(d.photos[p.a].e.data(), d.photos[p.b].e.data());
}

void report_pairs(const char* name, const std::string& lfw, const Data& d) {
  auto folds = read_pairs(lfw, d);
  std::vector<double> acc;
  int fa_06 = 0, fr_06 = 0;
  for (size_t test = 0; test < folds.size(); ++test) {
    double best_t = 0.6, best = -1;
    for (double t = 0.3; t <= 0.9; t += 0.001) {
      int right = 0;
      for (size_t f = 0; f < folds.size(); ++f) {
        if (f == test) continue;
        for (auto& p : folds[f]) right += (pair_distance(d, p) <= t) == p.same;
      }
      if (right > best) best = right, best_t = t;
    }
    int right = 0;
    for (auto& p : folds[test]) {
      const double dd = pair_distance(d, p);
      right += (dd <= best_t) == p.same;
      fa_06 += !p.same && dd <= 0.6;
      fr_06 += p.same && dd > 0.6;
    }
    acc.push_back(static_cast<double>(right) / folds[test].size());
  }
  const double mean = std::accumulate(acc.begin(), acc.end(), 0.0) / acc.size();
  double var = 0;
  for (double a : acc) var += (a - mean) * (a - mean);
  std::printf("| %s | %.2f %% +- %.2f | %d / %d |\n", name, 100 * mean,
              100 * std::sqrt(var / acc.size()), fa_06, fr_06);
}

// ---- all pairs ---------------------------------------------------------------------------------
Histogram all_pairs(const Data& d) {
  std::vector<int> ids;
  for (int i = 0; i < (int)d.photos.size(); ++i)
    if (d.photos[i].has_face()) ids.push_back(i);
  const int threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<Histogram> parts(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t a = t; a < ids.size(); a += threads) {
        const Photo& p = d.photos[ids[a]];
        for (size_t b = a + 1; b < ids.size(); ++b) {
          const Photo& q = d.photos[ids[b]];
          const float dd = dist(p.e.data(), q.e.data());
          parts[t].add(p.person == q.person ? parts[t].genuine : parts[t].impostor, dd);
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  Histogram h;
  for (auto& p : parts)
    for (int i = 0; i < kBins; ++i) h.genuine[i] += p.genuine[i], h.impostor[i] += p.impostor[i];
  return h;
}

// ---- several templates per person
// ---------------------------------------------------------------- People with >= k+1 photos with a
// face: the first k enrolled, the rest probe. Impostors: every photo of every other person against
// each enrolment.
struct Enrolment {
  std::string person;
  std::vector<int> ids;
  std::vector<float> mean;
};

enum class Rule { kMean, kNearest };

float fused_distance(const Data& d, const Enrolment& e, const float* probe, Rule rule) {
  if (rule == Rule::kMean) return dist(e.mean.data(), probe);
  float best = 9;
  for (int id : e.ids) best = std::min(best, dist(d.photos[id].e.data(), probe));
  return best;
}

std::vector<int> faces_of(const Data& d, const std::string& person) {
  std::vector<int> out;
  for (int id : d.by_person.at(person))
    if (d.photos[id].has_face()) out.push_back(id);
  return out;
}

// half: -1 every person; 0 or 1: only people (enrolled and impostors) of that half (by their
// order), for a threshold chosen on one half and checked on the other.
Histogram fusion(const Data& d, int k, Rule rule, int half = -1) {
  std::vector<Enrolment> enrolled;
  std::vector<std::vector<int>> probes;
  std::map<std::string, int> half_of;
  for (auto& [person, ids] : d.by_person) half_of[person] = static_cast<int>(half_of.size()) % 2;
  for (auto& [person, ids] : d.by_person) {
    if (half >= 0 && half_of[person] != half) continue;
    auto faces = faces_of(d, person);
    if ((int)faces.size() < k + 1) continue;
    Enrolment e{person, {faces.begin(), faces.begin() + k}, {}};
    e.mean = mean_of(d, e.ids);
    enrolled.push_back(e);
    probes.emplace_back(faces.begin() + k, faces.end());
  }
  const int threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<Histogram> parts(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t i = t; i < enrolled.size(); i += threads) {
        for (int p : probes[i])
          parts[t].add(parts[t].genuine,
                       fused_distance(d, enrolled[i], d.photos[p].e.data(), rule));
        for (const auto& ph : d.photos) {
          if (!ph.has_face() || ph.person == enrolled[i].person) continue;
          if (half >= 0 && half_of.at(ph.person) != half) continue;
          parts[t].add(parts[t].impostor, fused_distance(d, enrolled[i], ph.e.data(), rule));
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  Histogram h;
  for (auto& p : parts)
    for (int i = 0; i < kBins; ++i) h.genuine[i] += p.genuine[i], h.impostor[i] += p.impostor[i];
  std::fprintf(stderr, "fusion k=%d: %zu people, %.0f genuine, %.0f impostor\n", k, enrolled.size(),
               h.total(h.genuine), h.total(h.impostor));
  return h;
}

// ---- the service's decisions, simulated
// --------------------------------------------------------------
struct Account {
  std::string person;
  std::vector<int> ids;
  std::vector<float> mean;
};

// What FaceAuthService::login decides for a probe over these accounts (face only).
// Returns the index of the account signed in, -1 refused, -2 identifier_required.
int decide_face_only(const std::vector<Account>& accounts, const float* probe,
                     const MatchCalibration& cal, double margin) {
  // Expected FPIR of the search at this size: the policy's own gate.
  std::vector<int> template_counts;
  for (const auto& a : accounts) template_counts.push_back((int)a.ids.size());
  auto t = cal.one_to_many_threshold(template_counts);
  if (!t) return -2;
  int best = -1;
  float bd = 9, second = 9;
  for (size_t i = 0; i < accounts.size(); ++i) {
    const float dd = dist(accounts[i].mean.data(), probe);
    if (dd < bd)
      second = bd, bd = dd, best = static_cast<int>(i);
    else if (dd < second)
      second = dd;
  }
  if (best < 0 || bd > *t) return -1;
  if (second <= *t && second - bd < margin) return -1;
  return best;
}

// One draw: N accounts (people with a held-out photo first, so genuine probes exist), each
// enrolled with up to k photos; every other person's photos are strangers. Small N is drawn
// many times so that the rates rest on enough probes.
struct SimCounts {
  long long strangers = 0, fp = 0, asked = 0, genuine = 0, right = 0, wrong = 0, refused = 0,
            g_asked = 0, pairs11 = 0, fa11 = 0, fr11 = 0;
};

void simulate_once(const Data& d, const MatchCalibration& cal, int n_accounts, int k, double margin,
                   std::mt19937& rng, SimCounts& c) {
  std::vector<std::string> people;
  for (auto& [person, ids] : d.by_person)
    if (!faces_of(d, person).empty()) people.push_back(person);
  std::shuffle(people.begin(), people.end(), rng);
  std::stable_partition(people.begin(), people.end(),
                        [&](const std::string& p) { return faces_of(d, p).size() > 1; });
  if ((int)people.size() <= n_accounts) return;
  std::vector<Account> accounts;
  std::vector<int> owner, probes;
  for (int i = 0; i < n_accounts; ++i) {
    auto faces = faces_of(d, people[i]);
    const int enrol = std::max(1, std::min<int>(k, (int)faces.size() - 1));
    Account a{people[i], {faces.begin(), faces.begin() + enrol}, {}};
    a.mean = mean_of(d, a.ids);
    for (size_t j = enrol; j < faces.size(); ++j) probes.push_back(faces[j]), owner.push_back(i);
    accounts.push_back(std::move(a));
  }
  std::vector<double> t11;
  for (const auto& a : accounts) t11.push_back(cal.one_to_one_threshold((int)a.ids.size()));
  for (size_t i = n_accounts; i < people.size(); ++i) {
    for (int s : faces_of(d, people[i])) {
      const float* e = d.photos[s].e.data();
      ++c.strangers;
      const int r = decide_face_only(accounts, e, cal, margin);
      c.fp += r >= 0;
      c.asked += r == -2;
      for (size_t a = 0; a < accounts.size(); ++a) {
        ++c.pairs11;
        c.fa11 += dist(accounts[a].mean.data(), e) <= t11[a];
      }
    }
  }
  for (size_t i = 0; i < probes.size(); ++i) {
    const float* e = d.photos[probes[i]].e.data();
    ++c.genuine;
    const int r = decide_face_only(accounts, e, cal, margin);
    if (r == owner[i])
      ++c.right;
    else if (r >= 0)
      ++c.wrong;
    else if (r == -2)
      ++c.g_asked;
    else
      ++c.refused;
    c.fr11 += dist(accounts[owner[i]].mean.data(), e) > t11[owner[i]];
  }
}

void simulate(const Data& d, const MatchCalibration& cal, int n_accounts, int k, double margin,
              unsigned seed) {
  std::mt19937 rng(seed);
  SimCounts c;
  const int draws = std::clamp(2000 / n_accounts, 1, 100);
  for (int i = 0; i < draws; ++i) simulate_once(d, cal, n_accounts, k, margin, rng, c);
  if (c.strangers == 0) return;
  const double g = static_cast<double>(c.genuine), st = static_cast<double>(c.strangers);
  std::printf(
      "| %d | %d | %d | %lld | %lld | %.0f %% | %.1e (%lld) | %.1f %% | %.1f %% | %.2f %% "
      "(%lld) | %.2e | %.1f %% |\n",
      n_accounts, k, draws, c.strangers, c.genuine, 100.0 * (st - c.asked) / st, c.fp / st, c.fp,
      g ? 100.0 * c.refused / g : 0, g ? 100.0 * c.g_asked / g : 0, g ? 100.0 * c.wrong / g : 0,
      c.wrong, (double)c.fa11 / c.pairs11, g ? 100.0 * c.fr11 / g : 0);
}

// ---- the duplicate rule
// -------------------------------------------------------------------------------
void duplicates(const Data& d, const MatchCalibration& cal, int n, unsigned seed) {
  std::vector<std::string> people;
  for (auto& [person, ids] : d.by_person)
    if (!faces_of(d, person).empty()) people.push_back(person);
  std::mt19937 rng(seed);
  std::shuffle(people.begin(), people.end(), rng);
  std::vector<const float*> registered;
  int refused = 0, refused_old = 0, caught = 0, again = 0;
  for (int i = 0; i < n && i < (int)people.size(); ++i) {
    const float* e = d.photos[faces_of(d, people[i])[0]].e.data();
    const double t = cal.duplicate_threshold(static_cast<int>(registered.size()));
    bool dup = false, dup_old = false;
    for (const float* r : registered) {
      const float dd = dist(r, e);
      dup = dup || dd <= t;
      dup_old = dup_old || dd <= 0.6;
    }
    refused += dup;
    refused_old += dup_old;
    if (!dup) registered.push_back(e);
  }
  // The same people trying to register a second time with another photo.
  for (int i = 0; i < n && i < (int)people.size(); ++i) {
    auto faces = faces_of(d, people[i]);
    if (faces.size() < 2) continue;
    ++again;
    const double t = cal.duplicate_threshold(static_cast<int>(registered.size()));
    for (const float* r : registered) {
      if (dist(r, d.photos[faces[1]].e.data()) <= t) {
        ++caught;
        break;
      }
    }
  }
  std::printf("| %d | %d (%.1f %%) | %d (%.1f %%) | %d of %d (%.0f %%) |\n\n", n, refused_old,
              100.0 * refused_old / n, refused, 100.0 * refused / n, caught, again,
              again ? 100.0 * caught / again : 0);
}

void report_drift(const Data& ours, const Data& ref) {
  std::vector<double> moves;
  int over3 = 0, over5 = 0, both = 0;
  std::vector<std::pair<double, std::string>> worst;
  for (const auto& p : ours.photos) {
    auto it = ref.by_name.find(p.person + "/" + p.file);
    if (it == ref.by_name.end() || !p.has_face() || !ref.photos[it->second].has_face()) continue;
    ++both;
    const double m = dist(p.e.data(), ref.photos[it->second].e.data());
    moves.push_back(m);
    over3 += m > 0.3;
    over5 += m > 0.5;
    worst.emplace_back(m, p.file);
  }
  std::sort(moves.begin(), moves.end());
  std::sort(worst.rbegin(), worst.rend());
  std::printf("| photos both embed | median move | > 0.3 | > 0.5 |\n|---:|---:|---:|---:|\n");
  std::printf("| %d | %.3f | %d (%.2f %%) | %d (%.2f %%) |\n\n", both, moves[moves.size() / 2],
              over3, 100.0 * over3 / both, over5, 100.0 * over5 / both);
  std::fprintf(stderr, "largest moves:");
  for (int i = 0; i < 15 && i < (int)worst.size(); ++i)
    std::fprintf(stderr, " %s(%.2f)", worst[i].second.c_str(), worst[i].first);
  std::fprintf(stderr, "\n");
}

void det_row(const Histogram& h, double t) {
  std::printf("| %.3f | %.2e | %.2f %% |", t, h.fmr(t), 100 * h.fnmr(t));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: lfw_eval LFW_DIR OURS.tsv [--ref REF.tsv] [--table OUT.csv]\n");
    return 2;
  }
  const std::string lfw = argv[1];
  std::string ref_path, table_path;
  unsigned seed = 1;
  for (int i = 3; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--ref")) ref_path = argv[i + 1];
    if (!std::strcmp(argv[i], "--table")) table_path = argv[i + 1];
    if (!std::strcmp(argv[i], "--seed")) seed = std::stoul(argv[i + 1]);
  }
  const Data ours = load(argv[2]);
  Data ref;
  if (!ref_path.empty()) ref = load(ref_path);

  const faceid::face::QualityThresholds q;
  Gate old_gate{40, 40, 40, 220, 50, 40};
  Gate new_gate{q.min_face_px,    q.min_sharpness,   q.min_brightness,
                q.max_brightness, q.max_abs_yaw_deg, q.max_abs_pitch_deg};
  std::printf("## Photos and the quality gate (ours)\n\n");
  report_photos(ours, old_gate, new_gate);
  if (!ref_path.empty()) {
    std::printf("Reference: ");
    report_photos(ref, old_gate, new_gate);
  }

  std::printf(
      "## The standard 6,000 pairs (10-fold)\n\n| pipeline | accuracy | false accepts / "
      "false rejects at 0.6 |\n|---|---:|---:|\n");
  report_pairs("ours", lfw, ours);
  if (!ref_path.empty()) report_pairs("reference", lfw, ref);
  std::printf("\n");

  std::printf("## All pairs, one template\n\n");
  const Histogram h_ours = all_pairs(ours);
  Histogram h_ref;
  if (!ref_path.empty()) h_ref = all_pairs(ref);
  std::printf("%.0f same-person pairs, %.0f different-person pairs (ours)\n\n",
              h_ours.total(h_ours.genuine), h_ours.total(h_ours.impostor));
  std::printf("| threshold | ours FMR | ours FNMR |%s\n|---:|---:|---:|%s\n",
              ref_path.empty() ? "" : " ref threshold | ref FMR | ref FNMR |",
              ref_path.empty() ? "" : "---:|---:|---:|");
  for (double t : {0.40, 0.45, 0.50, 0.55, 0.60}) {
    det_row(h_ours, t);
    if (!ref_path.empty()) det_row(h_ref, t);
    std::printf("\n");
  }
  std::printf(
      "\nAt equal FMR:\n\n| target FMR | ours threshold | ours FMR | ours FNMR |%s\n"
      "|---:|---:|---:|---:|%s\n",
      ref_path.empty() ? "" : " ref threshold | ref FMR | ref FNMR |",
      ref_path.empty() ? "" : "---:|---:|---:|");
  for (double target : {1e-2, 1e-3, 1e-4, 1e-5, 1e-6}) {
    std::printf("| %.0e ", target);
    det_row(h_ours, h_ours.threshold_at(target));
    if (!ref_path.empty()) det_row(h_ref, h_ref.threshold_at(target));
    std::printf("\n");
  }
  std::printf("\n");

  std::printf(
      "## Several templates per person\n\n| templates | rule | people | threshold at FMR 1e-3 | "
      "FMR | FNMR | threshold at FMR 1e-5 | FNMR |\n|---:|---|---:|---:|---:|---:|---:|---:|\n");
  std::vector<Histogram> mean_by_k;
  for (int k = 1; k <= MatchCalibration::kMaxTemplates; ++k) {
    for (Rule rule : {Rule::kMean, Rule::kNearest}) {
      if (k == 1 && rule == Rule::kNearest) continue;
      const Histogram h = fusion(ours, k, rule);
      const double t3 = h.threshold_at(1e-3), t5 = h.threshold_at(1e-5);
      int people = 0;
      for (auto& [p, ids] : ours.by_person) people += (int)faces_of(ours, p).size() > k;
      std::printf("| %d | %s | %d | %.3f | %.2e | %.2f %% | %.3f | %.1f %% |\n", k,
                  rule == Rule::kMean ? "mean" : "nearest", people, t3, h.fmr(t3), 100 * h.fnmr(t3),
                  t5, 100 * h.fnmr(t5));
      if (rule == Rule::kMean) mean_by_k.push_back(h);
    }
  }
  if (!ref_path.empty()) {
    for (int k : {1, 3}) {
      const Histogram h = fusion(ref, k, Rule::kMean);
      const double t3 = h.threshold_at(1e-3), t5 = h.threshold_at(1e-5);
      int people = 0;
      for (auto& [p, ids] : ref.by_person) people += (int)faces_of(ref, p).size() > k;
      std::printf("| %d (reference) | mean | %d | %.3f | %.2e | %.2f %% | %.3f | %.1f %% |\n", k,
                  people, t3, h.fmr(t3), 100 * h.fnmr(t3), t5, 100 * h.fnmr(t5));
    }
  }
  std::printf("\n");

  std::printf(
      "Cross-checked: the threshold for FMR 1e-3 chosen on one half of the people, "
      "the rates measured on the other half (mean template):\n\n| templates | chosen on | "
      "threshold | FMR on the other half | FNMR on the other half |\n"
      "|---:|---:|---:|---:|---:|\n");
  for (int k : {1, 3}) {
    const Histogram a = fusion(ours, k, Rule::kMean, 0), b = fusion(ours, k, Rule::kMean, 1);
    const double ta = a.threshold_at(1e-3), tb = b.threshold_at(1e-3);
    std::printf("| %d | half A | %.3f | %.2e | %.2f %% |\n", k, ta, b.fmr(ta), 100 * b.fnmr(ta));
    std::printf("| %d | half B | %.3f | %.2e | %.2f %% |\n", k, tb, a.fmr(tb), 100 * a.fnmr(tb));
  }
  std::printf("\n");

  if (!table_path.empty()) {
    std::ofstream out(table_path);
    out << "# FMR and FNMR per distance on LFW (images_deepfunneled), mean-template rule, by the\n"
           "# number of enrolled templates (k). Written by bench/accuracy/lfw_eval; see "
           "docs/accuracy.md.\n";
    out << "impostor_pairs";
    for (auto& h : mean_by_k) out << "," << static_cast<long long>(h.total(h.impostor));
    out << "\ngenuine_pairs";
    for (auto& h : mean_by_k) out << "," << static_cast<long long>(h.total(h.genuine));
    out << "\nthreshold";
    for (int k = 1; k <= (int)mean_by_k.size(); ++k) out << ",fmr_" << k << ",fnmr_" << k;
    out << "\n";
    for (int i = 300; i <= 700; i += 5) {
      const double t = i / 1000.0;
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.3f", t);
      out << buf;
      for (auto& h : mean_by_k) {
        std::snprintf(buf, sizeof buf, ",%.3e,%.5f", h.fmr(t), h.fnmr(t));
        out << buf;
      }
      out << "\n";
    }
    std::fprintf(stderr, "wrote %s\n", table_path.c_str());
  }

  MatchCalibration::Settings settings;
  auto table = table_path.empty() ? MatchCalibration::builtin("dlib-resnet-v1", settings)
                                  : MatchCalibration::load(table_path, settings);
  if (table) {
    const MatchCalibration& cal = *table;
    std::printf(
        "## The duplicate rule (1,000 people registering once, then again)\n\n"
        "| accounts | refused at 0.6 (old) | refused now | second registrations caught |\n"
        "|---:|---:|---:|---:|\n");
    duplicates(ours, cal, 1000, seed);
    std::printf("## 1:N, the service's decision simulated (FPIR budget %.0e, FNMR limit %.2f)\n\n",
                settings.face_only_max_fpir, settings.face_only_max_fnmr);
    std::printf(
        "| accounts | templates (up to) | draws | stranger probes | genuine probes | "
        "face-only answered | FPIR | FNIR face-only | asked for identifier | wrong person | "
        "1:1 FMR | 1:1 FNMR |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int n : {2, 5, 10, 20, 100, 1000, 5000})
      for (int k : {1, 3}) simulate(ours, cal, n, k, 0.06, seed);
    std::printf("\n");
  } else {
    std::fprintf(stderr, "no calibration table: %s\n", table.error().message.c_str());
  }

  if (!ref_path.empty()) {
    std::printf("## Front end: our embedding against the reference's, same photo\n\n");
    report_drift(ours, ref);
  }
  std::printf("## Genuine and impostor error by photo property (ours, one template)\n\n");
  const double t = h_ours.threshold_at(1e-3);
  report_quality_effect(ours, "sharpness", &Photo::sharpness, {0, 5, 10, 20, 40, 80, 160, 1e9}, t);
  report_quality_effect(ours, "face px", &Photo::face_px, {0, 40, 60, 80, 100, 150, 1e9}, t);
  report_quality_effect(ours, "abs yaw deg", &Photo::yaw, {0, 15, 30, 45, 60, 1e9}, t);
  report_quality_effect(ours, "brightness", &Photo::brightness, {0, 40, 60, 180, 220, 256}, t);
  return 0;
}
