// Route matching: split into segments, prefer the route with most literal segments so
// "/users/me" wins over "/users/{id}".
#include "http/router.h"

#include <algorithm>
#include <set>

#include "http/error_response.h"

namespace faceid::http {
namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool is_param(const std::string& s) { return s.size() > 2 && s.front() == '{' && s.back() == '}'; }

// One spelling per resource: "/a/b" only, never "/a/b/", "//a/b" or "/a/./b". Every other form
// is a 404, so no limit, log label or access rule keyed on the path can be sidestepped.
bool is_canonical(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (path == "/") return true;
  if (path.back() == '/' || path.find("//") != std::string_view::npos) return false;
  for (std::size_t i = 0; i < path.size();) {
    std::size_t j = path.find('/', i + 1);
    std::string_view segment = path.substr(i + 1, j == std::string_view::npos ? j : j - i - 1);
    if (segment == "." || segment == "..") return false;
    if (j == std::string_view::npos) break;
    i = j;
  }
  return true;
}

}  // namespace

void Router::add(std::string method, std::string_view pattern, Handler handler) {
  Route r;
  r.method = std::move(method);
  r.pattern = std::string(pattern);
  r.segments = split_path(pattern);
  r.static_segments = static_cast<int>(
      std::count_if(r.segments.begin(), r.segments.end(), [](auto& s) { return !is_param(s); }));
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
  std::stable_sort(routes_.begin(), routes_.end(), [](const Route& a, const Route& b) {
    return a.static_segments > b.static_segments;
  });
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match m;
  if (!is_canonical(path)) return m;
  auto parts = split_path(path);
  std::set<std::string> allowed;
  for (const auto& r : routes_) {
    if (r.segments.size() != parts.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (std::size_t i = 0; i < parts.size() && ok; ++i) {
      if (is_param(r.segments[i])) {
        params[r.segments[i].substr(1, r.segments[i].size() - 2)] = parts[i];
      } else {
        ok = r.segments[i] == parts[i];
      }
    }
    if (!ok) continue;
    bool method_ok = r.method == method || (method == "HEAD" && r.method == "GET");
    if (method_ok && m.kind != Match::Kind::kFound) {
      m.kind = Match::Kind::kFound;
      m.handler = &r.handler;
      m.route = r.pattern;
      m.params = std::move(params);
    }
    allowed.insert(r.method);
  }
  if (m.kind != Match::Kind::kFound && !allowed.empty()) {
    m.kind = Match::Kind::kMethodNotAllowed;
    m.allowed.assign(allowed.begin(), allowed.end());
  }
  return m;
}

std::vector<Router::RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  out.reserve(routes_.size());
  for (const auto& r : routes_) out.push_back({r.method, r.pattern});
  return out;
}

Response Router::dispatch(Request& request) const {
  Match m = match(request.method, request.path);
  switch (m.kind) {
    case Match::Kind::kFound:
      request.route = m.route;
      request.path_params = std::move(m.params);
      return (*m.handler)(request);
    case Match::Kind::kMethodNotAllowed: {
      request.route = kUnmatchedRoute;
      Response r = error_response(405, "method_not_allowed",
                                  "Method " + request.method + " is not allowed here", {},
                                  request.correlation_id);
      std::string allow;
      for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
      r.set_header("Allow", allow);
      return r;
    }
    case Match::Kind::kNotFound:
      break;
  }
  request.route = kUnmatchedRoute;
  return error_response(404, "not_found", "No route for " + request.path, {},
                        request.correlation_id);
}

Response Router::handle(Request& request) const {
  // The route template is known before any middleware runs, so rate limits and logs key on
  // it rather than on the raw path.
  Match m = match(request.method, request.path);
  if (m.kind == Match::Kind::kFound) request.route = m.route;
  return chain_ ? chain_(request) : recovering_dispatch(request);
}

Response Router::recovering_dispatch(Request& request) const {
  try {
    return dispatch(request);
  } catch (const std::exception& e) {
    request.internal_error = e.what();
  } catch (...) {
    request.internal_error = "unknown exception";
  }
  return error_response(500, "internal_error", "Internal server error", {}, request.correlation_id);
}

void Router::use(Middleware middleware) {
  middleware_.push_back(std::move(middleware));
  // Rebuild the chain once here, not per request: innermost is the dispatch.
  Next next = [this](Request& r) { return recovering_dispatch(r); };
  for (auto it = middleware_.rbegin(); it != middleware_.rend(); ++it) {
    next = [mw = *it, inner = std::move(next)](Request& r) { return mw(r, inner); };
  }
  chain_ = std::move(next);
}

}  // namespace faceid::http
