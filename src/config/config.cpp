// Loading and validating Config. Each variable has one parser below; errors name the variable.
#include "config/config.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

extern char** environ;  // NOLINT: POSIX process environment

namespace faceid::config {
namespace {

constexpr std::size_t kMinSecretBytes = 32;
constexpr std::array<std::string_view, 8> kDefaultSecrets = {"changeme",
                                                             "change-me",
                                                             "secret",
                                                             "your-secret-key",
                                                             "your-secret-key-here",
                                                             "your-secret-key-change-in-production",
                                                             "change-this-secret-key",
                                                             "CHANGE_ME_TO_A_RANDOM_STRING"};

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

Error bad(std::string_view name, std::string_view value, std::string_view expected) {
  return make_error("invalid_config", std::string(name) + ": invalid value '" + std::string(value) +
                                          "' (expected " + std::string(expected) + ")");
}

Result<long long> parse_int(std::string_view name, const std::string& v, long long lo,
                            long long hi) {
  long long out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out < lo || out > hi) {
    return bad(name, v, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return out;
}

Result<double> parse_double(std::string_view name, const std::string& v, double lo, double hi) {
  char* end = nullptr;
  double out = std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size() || !(out >= lo && out <= hi)) {
    std::ostringstream os;
    os << "a number in [" << lo << ", " << hi << "]";
    return bad(name, v, os.str());
  }
  return out;
}

Result<bool> parse_bool(std::string_view name, const std::string& v) {
  static const std::set<std::string, std::less<>> kTrue = {"1", "true", "yes", "on"};
  static const std::set<std::string, std::less<>> kFalse = {"0", "false", "no", "off"};
  std::string l = lower(v);
  if (kTrue.count(l)) return true;
  if (kFalse.count(l)) return false;
  return bad(name, v, "true or false");
}

Result<std::string> parse_choice(std::string_view name, const std::string& v,
                                 const std::vector<std::string_view>& choices) {
  std::string l = lower(v);
  std::string list;
  for (auto c : choices) {
    if (l == c) return l;
    list += (list.empty() ? "" : "|") + std::string(c);
  }
  return bad(name, v, list);
}

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  std::string v2 = trim(v);
  // Accept the Python service's JSON-list form too: ["http://a", "http://b"].
  if (!v2.empty() && v2.front() == '[') {
    auto j = nlohmann::json::parse(v2, nullptr, false);
    if (j.is_array()) {
      for (auto& e : j)
        if (e.is_string()) out.push_back(e.get<std::string>());
      return out;
    }
  }
  std::stringstream ss(v2);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item = trim(item);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string random_secret() {
  std::random_device rd;  // getrandom(2) on Linux
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 64; ++i) s += kHex[rd() % 16];
  return s;
}

bool is_default_secret(const std::string& s) {
  return std::any_of(kDefaultSecrets.begin(), kDefaultSecrets.end(),
                     [&](std::string_view d) { return lower(s) == lower(std::string(d)); });
}

// Words of placeholder values copied from examples ("your-secret-key-change-me-...").
constexpr std::array<std::string_view, 6> kPlaceholderWords = {
    "changeme", "change-me", "change_me", "change-this", "your-secret", "example"};

// Entropy of the key as its own character frequencies tell it (Shannon, bits per character x
// length). Random keys score close to their real entropy (`openssl rand -hex 32`: ~240 bits,
// 32 random hex characters: ~115); 32 x "a" scores 0, "abcd" repeated 8 times 64.
double estimated_entropy_bits(const std::string& s) {
  std::array<int, 256> counts{};
  for (unsigned char c : s) ++counts[c];
  double bits = 0;
  for (int n : counts) {
    if (n == 0) continue;
    double p = static_cast<double>(n) / static_cast<double>(s.size());
    bits -= p * std::log2(p);
  }
  return bits * static_cast<double>(s.size());
}

constexpr double kMinSecretEntropyBits = 96;
constexpr std::size_t kMinDistinctSecretCharacters = 10;

// "0123456789" or "abcd" over and over: fine letter statistics, no secret.
bool repeats_a_short_pattern(const std::string& s) {
  for (std::size_t period = 1; period <= 16 && period < s.size(); ++period) {
    bool repeats = true;
    for (std::size_t i = period; i < s.size() && repeats; ++i) repeats = s[i] == s[i - period];
    if (repeats) return true;
  }
  return false;
}

bool is_low_entropy_secret(const std::string& s) {
  std::string l = lower(s);
  bool placeholder =
      std::any_of(kPlaceholderWords.begin(), kPlaceholderWords.end(),
                  [&](std::string_view w) { return l.find(w) != std::string::npos; });
  std::array<bool, 256> seen{};
  std::size_t distinct = 0;
  for (unsigned char c : s) {
    if (!seen[c]) ++distinct;
    seen[c] = true;
  }
  return placeholder || distinct < kMinDistinctSecretCharacters || repeats_a_short_pattern(s) ||
         estimated_entropy_bits(s) < kMinSecretEntropyBits;
}

// One entry per variable: how to apply its text to the Config.
using Setter = std::function<Status(Config&, const std::string&)>;

template <typename T, typename F>
Setter assign(T Config::*field, F parse) {
  return [field, parse](Config& c, const std::string& v) -> Status {
    auto r = parse(v);
    if (!r) return r.error();
    c.*field = static_cast<T>(*r);
    return {};
  };
}

Setter str(std::string Config::*field) {
  return [field](Config& c, const std::string& v) -> Status {
    c.*field = v;
    return {};
  };
}

Setter integer(int Config::*field, const char* name, long long lo, long long hi) {
  return assign(field, [=](const std::string& v) { return parse_int(name, v, lo, hi); });
}

Setter number(double Config::*field, const char* name, double lo, double hi) {
  return assign(field, [=](const std::string& v) { return parse_double(name, v, lo, hi); });
}

Setter boolean(bool Config::*field, const char* name) {
  return assign(field, [=](const std::string& v) { return parse_bool(name, v); });
}

Setter rate(RateSpec Config::*field, const char* name) {
  return [=](Config& c, const std::string& v) -> Status {
    auto r = parse_rate_spec(v);
    if (!r) return bad(name, v, "a rate like 10/minute");
    c.*field = *r;
    return {};
  };
}

Setter choice(std::string Config::*field, const char* name,
              std::initializer_list<std::string_view> choices) {
  return
      [=, cs = std::vector<std::string_view>(choices)](Config& c, const std::string& v) -> Status {
        auto r = parse_choice(name, v, cs);
        if (!r) return r.error();
        c.*field = *r;
        return {};
      };
}

const std::map<std::string, Setter, std::less<>>& setters() {
  static const std::map<std::string, Setter, std::less<>> kSetters = {
      {"DATABASE_URL", str(&Config::database_url)},
      {"REDIS_URL", str(&Config::redis_url)},
      {"PGVECTOR_EF_SEARCH", integer(&Config::pgvector_ef_search, "PGVECTOR_EF_SEARCH", 1, 1000)},
      {"DATA_DIR", str(&Config::data_dir)},
      {"MODELS_DIR", str(&Config::models_dir)},
      {"WEB_DIR", str(&Config::web_dir)},
      {"DOCS_ASSETS_DIR", str(&Config::docs_assets_dir)},
      {"SECRET_KEY", str(&Config::secret_key)},
      {"ALGORITHM", choice(&Config::algorithm, "ALGORITHM", {"hs256", "hs384", "hs512"})},
      {"ACCESS_TOKEN_EXPIRE_MINUTES",
       integer(&Config::access_token_expire_minutes, "ACCESS_TOKEN_EXPIRE_MINUTES", 1, 1440)},
      {"REFRESH_TOKEN_EXPIRE_DAYS",
       integer(&Config::refresh_token_expire_days, "REFRESH_TOKEN_EXPIRE_DAYS", 1, 365)},
      {"AUTH_MODE", choice(&Config::auth_mode, "AUTH_MODE", {"face", "face+password"})},
      {"FACE_RECOGNITION_TOLERANCE",
       [](Config& c, const std::string& v) -> Status {
         // Empty: unset (thresholds from the calibration table at FACE_MATCH_FMR).
         if (v.empty()) {
           c.face_recognition_tolerance = 0;
           return {};
         }
         return number(&Config::face_recognition_tolerance, "FACE_RECOGNITION_TOLERANCE", 0.05,
                       1.5)(c, v);
       }},
      {"FACE_MATCH_FMR", number(&Config::face_match_fmr, "FACE_MATCH_FMR", 1e-7, 0.1)},
      {"FACE_ONLY_MAX_FPIR", number(&Config::face_only_max_fpir, "FACE_ONLY_MAX_FPIR", 0.0, 1.0)},
      {"FACE_ONLY_MAX_FNMR", number(&Config::face_only_max_fnmr, "FACE_ONLY_MAX_FNMR", 0.0, 1.0)},
      {"DUPLICATE_MAX_REFUSAL",
       number(&Config::duplicate_max_refusal, "DUPLICATE_MAX_REFUSAL", 0.0, 1.0)},
      {"FACE_DETECTION_MODEL",
       choice(&Config::face_detection_model, "FACE_DETECTION_MODEL", {"cnn", "hog"})},
      {"LIVENESS_ENABLED", boolean(&Config::liveness_enabled, "LIVENESS_ENABLED")},
      {"LIVENESS_THRESHOLD", number(&Config::liveness_threshold, "LIVENESS_THRESHOLD", 0.0, 1.0)},
      {"LIVENESS_CHALLENGE",
       choice(&Config::liveness_challenge, "LIVENESS_CHALLENGE", {"off", "optional", "required"})},
      {"LIVENESS_CHALLENGE_TTL_SECONDS",
       integer(&Config::liveness_challenge_ttl_seconds, "LIVENESS_CHALLENGE_TTL_SECONDS", 1, 600)},
      {"REJECT_DUPLICATE_FACES",
       boolean(&Config::reject_duplicate_faces, "REJECT_DUPLICATE_FACES")},
      {"RATE_LIMIT_ENABLED", boolean(&Config::rate_limit_enabled, "RATE_LIMIT_ENABLED")},
      {"RATE_LIMIT_FAIL_OPEN", boolean(&Config::rate_limit_fail_open, "RATE_LIMIT_FAIL_OPEN")},
      {"RATE_LIMIT_REGISTER", rate(&Config::rate_limit_register, "RATE_LIMIT_REGISTER")},
      {"RATE_LIMIT_LOGIN", rate(&Config::rate_limit_login, "RATE_LIMIT_LOGIN")},
      {"RATE_LIMIT_DEFAULT", rate(&Config::rate_limit_default, "RATE_LIMIT_DEFAULT")},
      {"MAX_FAILED_LOGIN_ATTEMPTS",
       integer(&Config::max_failed_login_attempts, "MAX_FAILED_LOGIN_ATTEMPTS", 1, 1000)},
      {"LOCKOUT_MIN_CLIENTS",
       integer(&Config::lockout_min_clients, "LOCKOUT_MIN_CLIENTS", 1, 1000)},
      {"LOCKOUT_CLOSE_FACTOR",
       number(&Config::lockout_close_factor, "LOCKOUT_CLOSE_FACTOR", 1.0, 3.0)},
      {"ACCOUNT_LOCK_MINUTES",
       number(&Config::account_lock_minutes, "ACCOUNT_LOCK_MINUTES", 0.0, 525600.0)},
      {"FAILED_ATTEMPT_RETENTION_DAYS",
       integer(&Config::failed_attempt_retention_days, "FAILED_ATTEMPT_RETENTION_DAYS", 1, 3650)},
      {"TRUSTED_PROXIES",
       [](Config& c, const std::string& v) -> Status {
         c.trusted_proxies = split_list(v);
         return {};
       }},
      {"ENVIRONMENT",
       [](Config& c, const std::string& v) -> Status {
         auto r = parse_choice("ENVIRONMENT", v, {"development", "production"});
         if (!r) return r.error();
         c.environment = *r == "production" ? Environment::kProduction : Environment::kDevelopment;
         return {};
       }},
      {"WORKERS", integer(&Config::workers, "WORKERS", 1, 256)},
      {"HOST", str(&Config::host)},
      {"PORT", integer(&Config::port, "PORT", 0, 65535)},
      {"LOG_LEVEL", choice(&Config::log_level, "LOG_LEVEL",
                           {"trace", "debug", "info", "warning", "warn", "error", "critical"})},
      {"LOG_FILE", str(&Config::log_file)},
      {"CORS_ORIGINS",
       [](Config& c, const std::string& v) -> Status {
         c.cors_origins = split_list(v);
         return {};
       }},
      {"MAX_UPLOAD_MB", integer(&Config::max_upload_mb, "MAX_UPLOAD_MB", 1, 1024)},
      {"MAX_DECODE_MEGAPIXELS",
       integer(&Config::max_decode_megapixels, "MAX_DECODE_MEGAPIXELS", 1, 40)},
      {"MAX_CONCURRENT_DECODES",
       integer(&Config::max_concurrent_decodes, "MAX_CONCURRENT_DECODES", 0, 256)},
      {"DECODE_WAIT_MS", integer(&Config::decode_wait_ms, "DECODE_WAIT_MS", 0, 60000)},
      {"METRICS_TOKEN", str(&Config::metrics_token)},
  };
  return kSetters;
}

Status check_secret(Config& c, std::vector<std::string>* warnings) {
  bool weak = c.secret_key.size() < kMinSecretBytes || is_default_secret(c.secret_key) ||
              is_low_entropy_secret(c.secret_key);
  if (!weak) return {};
  if (c.production()) {
    return make_error("invalid_config",
                      "SECRET_KEY: refusing to start in production with an empty, default, "
                      "placeholder, short (< 32 bytes) or low-entropy secret (use `openssl rand "
                      "-hex 32`)");
  }
  if (c.secret_key.empty()) {
    c.secret_key = random_secret();
    c.secret_generated = true;
    warnings->push_back(
        "SECRET_KEY is not set: generated a random one for this process (tokens will not "
        "survive a restart); set SECRET_KEY before production use");
  } else {
    warnings->push_back(
        "SECRET_KEY is weak (default, placeholder, shorter than 32 bytes or low entropy)");
  }
  return {};
}

}  // namespace

Result<RateSpec> parse_rate_spec(std::string_view text) {
  std::string t = lower(trim(text));
  std::string count_part;
  std::string unit;
  if (auto slash = t.find('/'); slash != std::string::npos) {
    count_part = trim(t.substr(0, slash));
    unit = trim(t.substr(slash + 1));
  } else if (auto per = t.find(" per "); per != std::string::npos) {
    count_part = trim(t.substr(0, per));
    unit = trim(t.substr(per + 5));
  } else {
    return make_error("invalid_rate", "expected COUNT/UNIT");
  }
  int count = 0;
  auto [p, ec] = std::from_chars(count_part.data(), count_part.data() + count_part.size(), count);
  if (ec != std::errc() || p != count_part.data() + count_part.size() || count <= 0) {
    return make_error("invalid_rate", "bad count");
  }
  if (unit.size() > 1 && unit.back() == 's') unit.pop_back();
  static const std::map<std::string, int, std::less<>> kUnits = {
      {"second", 1}, {"sec", 1},     {"s", 1},    {"minute", 60}, {"min", 60},
      {"m", 60},     {"hour", 3600}, {"h", 3600}, {"day", 86400}, {"d", 86400}};
  auto it = kUnits.find(unit);
  if (it == kUnits.end()) return make_error("invalid_rate", "bad unit");
  return RateSpec{count, it->second, trim(text)};
}

Result<EnvMap> parse_dotenv(std::string_view text) {
  EnvMap out;
  std::istringstream in{std::string(text)};
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    if (t.rfind("export ", 0) == 0) t = trim(t.substr(7));
    auto eq = t.find('=');
    if (eq == std::string::npos || eq == 0) {
      return make_error("invalid_config",
                        ".env line " + std::to_string(lineno) + ": expected KEY=VALUE");
    }
    std::string key = trim(t.substr(0, eq));
    std::string value = trim(t.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    } else if (auto hash = value.find(" #"); hash != std::string::npos) {
      value = trim(value.substr(0, hash));  // inline comment after an unquoted value
    }
    out[key] = value;
  }
  return out;
}

Result<Config> load_config(const EnvMap& env, const EnvMap& dotenv,
                           std::vector<std::string>* warnings) {
  Config c;
  const auto& table = setters();
  for (const auto& [key, value] : dotenv) {
    if (!table.count(key)) warnings->push_back(".env: ignoring unknown variable " + key);
  }
  for (const auto& [name, set] : table) {
    auto it = env.find(name);
    const std::string* v = nullptr;
    if (it != env.end()) {
      v = &it->second;
    } else if (auto d = dotenv.find(name); d != dotenv.end()) {
      v = &d->second;
    }
    if (v == nullptr) continue;
    if (Status s = set(c, trim(*v)); !s) return s.error();
  }
  if (c.algorithm.rfind("hs", 0) == 0) {
    std::transform(c.algorithm.begin(), c.algorithm.end(), c.algorithm.begin(), ::toupper);
  }
  if (Status s = check_secret(c, warnings); !s) return s.error();
  return c;
}

Result<Config> load_config_from_process(const std::string& dotenv_path,
                                        std::vector<std::string>* warnings) {
  EnvMap env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos) env[std::string(kv.substr(0, eq))] = kv.substr(eq + 1);
  }
  EnvMap dotenv;
  if (std::ifstream f(dotenv_path); f) {
    std::stringstream ss;
    ss << f.rdbuf();
    auto parsed = parse_dotenv(ss.str());
    if (!parsed) return parsed.error();
    dotenv = std::move(*parsed);
  }
  return load_config(env, dotenv, warnings);
}

namespace {
std::string mask_url(const std::string& url) {
  // scheme://user:password@host -> scheme://user:***@host
  auto scheme = url.find("://");
  auto at = url.rfind('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}
}  // namespace

std::string describe(const Config& c) {
  nlohmann::ordered_json j;
  j["ENVIRONMENT"] = c.production() ? "production" : "development";
  j["DATABASE_URL"] = c.database_url.empty() ? "(embedded SQLite)" : mask_url(c.database_url);
  j["REDIS_URL"] = c.redis_url.empty() ? "(in-process)" : mask_url(c.redis_url);
  j["PGVECTOR_EF_SEARCH"] = c.pgvector_ef_search;
  j["DATA_DIR"] = c.data_dir;
  j["MODELS_DIR"] = c.models_dir;
  j["WEB_DIR"] = c.web_dir;
  j["DOCS_ASSETS_DIR"] = c.docs_assets_dir;
  j["SECRET_KEY"] = c.secret_generated ? "(generated)" : "***";
  j["METRICS_TOKEN"] = c.metrics_token.empty() ? "" : "***";
  j["ALGORITHM"] = c.algorithm;
  j["ACCESS_TOKEN_EXPIRE_MINUTES"] = c.access_token_expire_minutes;
  j["REFRESH_TOKEN_EXPIRE_DAYS"] = c.refresh_token_expire_days;
  j["AUTH_MODE"] = c.auth_mode;
  if (c.face_recognition_tolerance > 0) {
    j["FACE_RECOGNITION_TOLERANCE"] = c.face_recognition_tolerance;
  } else {
    j["FACE_RECOGNITION_TOLERANCE"] = nullptr;
  }
  j["FACE_MATCH_FMR"] = c.face_match_fmr;
  j["FACE_ONLY_MAX_FPIR"] = c.face_only_max_fpir;
  j["FACE_ONLY_MAX_FNMR"] = c.face_only_max_fnmr;
  j["DUPLICATE_MAX_REFUSAL"] = c.duplicate_max_refusal;
  j["FACE_DETECTION_MODEL"] = c.face_detection_model;
  j["LIVENESS_ENABLED"] = c.liveness_enabled;
  j["LIVENESS_THRESHOLD"] = c.liveness_threshold;
  j["LIVENESS_CHALLENGE"] = c.liveness_challenge;
  j["LIVENESS_CHALLENGE_TTL_SECONDS"] = c.liveness_challenge_ttl_seconds;
  j["REJECT_DUPLICATE_FACES"] = c.reject_duplicate_faces;
  j["RATE_LIMIT_ENABLED"] = c.rate_limit_enabled;
  j["RATE_LIMIT_FAIL_OPEN"] = c.rate_limit_fail_open;
  j["RATE_LIMIT_REGISTER"] = c.rate_limit_register.text;
  j["RATE_LIMIT_LOGIN"] = c.rate_limit_login.text;
  j["RATE_LIMIT_DEFAULT"] = c.rate_limit_default.text;
  j["MAX_FAILED_LOGIN_ATTEMPTS"] = c.max_failed_login_attempts;
  j["LOCKOUT_MIN_CLIENTS"] = c.lockout_min_clients;
  j["LOCKOUT_CLOSE_FACTOR"] = c.lockout_close_factor;
  j["ACCOUNT_LOCK_MINUTES"] = c.account_lock_minutes;
  j["FAILED_ATTEMPT_RETENTION_DAYS"] = c.failed_attempt_retention_days;
  j["TRUSTED_PROXIES"] = c.trusted_proxies;
  j["WORKERS"] = c.workers;
  j["HOST"] = c.host;
  j["PORT"] = c.port;
  j["LOG_LEVEL"] = c.log_level;
  j["LOG_FILE"] = c.log_file;
  j["CORS_ORIGINS"] = c.cors_origins;
  j["MAX_UPLOAD_MB"] = c.max_upload_mb;
  j["MAX_DECODE_MEGAPIXELS"] = c.max_decode_megapixels;
  j["MAX_CONCURRENT_DECODES"] = c.max_concurrent_decodes;
  j["DECODE_WAIT_MS"] = c.decode_wait_ms;
  return j.dump(2);
}

}  // namespace faceid::config
