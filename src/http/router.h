// Router: maps (method, path) to a handler through route templates with "{param}" segments,
// and runs a middleware chain around every request. Built once at start-up, then read-only
// (safe to share across worker threads).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.h"

namespace faceid::http {

using Handler = std::function<Response(Request&)>;
using Next = std::function<Response(Request&)>;
using Middleware = std::function<Response(Request&, const Next&)>;

// Route template used for requests that matched no route (keeps metric labels bounded).
inline constexpr const char* kUnmatchedRoute = "unmatched";

class Router {
 public:
  struct Match {
    enum class Kind { kFound, kNotFound, kMethodNotAllowed };
    Kind kind = Kind::kNotFound;
    const Handler* handler = nullptr;
    std::string route;
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed;  // for 405: methods the path does accept
  };

  void add(std::string method, std::string_view pattern, Handler handler);
  void get(std::string_view p, Handler h) { add("GET", p, std::move(h)); }
  void post(std::string_view p, Handler h) { add("POST", p, std::move(h)); }
  void del(std::string_view p, Handler h) { add("DELETE", p, std::move(h)); }

  // Middleware runs in the order added, outermost first. Add routes and middleware before
  // serving; the Router must not move afterwards (the chain points back at it).
  void use(Middleware middleware);

  // A path that is not in canonical form (trailing slash, empty, "." or ".." segments) never
  // matches: it is a 404, whatever route it resembles.
  Match match(std::string_view method, std::string_view path) const;

  struct RouteInfo {
    std::string method;
    std::string pattern;
  };
  // Every registered route (method and template), for documentation checks and start-up logs.
  std::vector<RouteInfo> routes() const;

  // Sets request.route to the matched template (so middleware sees it), then runs middleware, then
  // the matched handler or a JSON 404/405. Exceptions from handlers become a 500 with a generic
  // body.
  Response handle(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // "{x}" marks a parameter
    int static_segments = 0;
    Handler handler;
  };
  Response dispatch(Request& request) const;
  Response recovering_dispatch(Request& request) const;

  std::vector<Route> routes_;
  std::vector<Middleware> middleware_;
  Next chain_;  // middleware wrapped around recovering_dispatch; rebuilt by use()
};

}  // namespace faceid::http
