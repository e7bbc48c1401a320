// The request router: (method, path pattern) -> handler. Patterns are literal segments and
// "{name}" parameters matching one non-empty segment: "/api/v1/domains/{domain}". Pure; the
// router lists its routes so tests can compare them with docs/openapi.json.
// A path that exists under another method answers 405 with Allow (RFC 9110 15.5.6).
#pragma once
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kurier::http {

using PathParams = std::map<std::string, std::string, std::less<>>;

template <class Handler>
class Router {
 public:
  struct Route {
    std::string method;
    std::string pattern;
    Handler handler;
    std::vector<std::string> segments;  // pattern split at '/'
  };
  struct Match {
    enum Kind { Found, NotFound, MethodNotAllowed } kind = NotFound;
    const Route* route = nullptr;
    PathParams params;
    std::string allow;  // for MethodNotAllowed: "GET, POST"
  };

  void add(std::string method, std::string pattern, Handler handler) {
    Route r;
    r.method = std::move(method);
    r.pattern = std::move(pattern);
    r.handler = std::move(handler);
    r.segments = split(r.pattern);
    routes_.push_back(std::move(r));
  }

  Match match(std::string_view method, std::string_view path) const {
    Match m;
    auto parts = split(path);
    for (const auto& r : routes_) {
      PathParams params;
      if (!matches(r.segments, parts, params)) continue;
      if (r.method == method || (method == "HEAD" && r.method == "GET")) {
        m.kind = Match::Found;
        m.route = &r;
        m.params = std::move(params);
        return m;
      }
      if (m.allow.find(r.method) == std::string::npos) m.allow += (m.allow.empty() ? "" : ", ") + r.method;
      m.kind = Match::MethodNotAllowed;
    }
    return m;
  }

  const std::vector<Route>& routes() const { return routes_; }

 private:
  static std::vector<std::string> split(std::string_view path) {
    std::vector<std::string> out;
    size_t start = path.empty() || path.front() != '/' ? 0 : 1;
    while (start <= path.size()) {
      size_t end = path.find('/', start);
      if (end == std::string_view::npos) end = path.size();
      out.emplace_back(path.substr(start, end - start));
      start = end + 1;
    }
    return out;
  }

  static bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& parts,
                      PathParams& params) {
    if (pattern.size() != parts.size()) return false;
    for (size_t i = 0; i < pattern.size(); ++i) {
      const auto& p = pattern[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        if (parts[i].empty()) return false;
        params.emplace(p.substr(1, p.size() - 2), parts[i]);
      } else if (p != parts[i]) {
        return false;
      }
    }
    return true;
  }

  std::vector<Route> routes_;
};

}  // namespace kurier::http
