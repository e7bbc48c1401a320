// The web API's hand-written input handling: request targets and query strings (http/query.h),
// the router's matching (http/router.h), the Accept-Encoding check (http/gzip.h), and the JSON
// body helpers' path — nlohmann parsing without exceptions, then the vacation script writer on
// whatever strings came out (accounts/vacation.h), which must read its own settings back.
// Beast parses the HTTP framing itself; this covers what kurier parses.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "accounts/vacation.h"
#include "http/gzip.h"
#include "http/query.h"
#include "http/router.h"

namespace {

kurier::http::Router<int> make_router() {
  kurier::http::Router<int> r;
  r.add("GET", "/api/v1/domains", 1);
  r.add("GET", "/api/v1/domains/{domain}", 2);
  r.add("PATCH", "/api/v1/accounts/{address}", 3);
  r.add("POST", "/api/v1/me/sieve/{name}/activate", 4);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto router = make_router();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto nl = input.find('\n');
  std::string_view target = input.substr(0, nl);
  std::string_view rest = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);

  if (auto t = kurier::http::parse_target(target)) {
    if (t->path.empty() || t->path.front() != '/') std::abort();
    if (t->path.find('\0') != std::string::npos) std::abort();
    for (const char* m : {"GET", "POST", "PATCH", "HEAD"}) {
      auto match = router.match(m, t->path);
      if (match.kind == decltype(match)::Found && !match.route) std::abort();
      for (const auto& [k, v] : match.params)
        if (v.empty() || v.find('/') != std::string::npos) std::abort();
    }
  }
  auto decoded = kurier::http::percent_decode(target, true);
  if (decoded && kurier::http::percent_decode(kurier::http::percent_encode(*decoded), false) != *decoded) std::abort();
  kurier::http::accepts_gzip(target);

  auto j = nlohmann::json::parse(rest, nullptr, false);
  if (!j.is_discarded() && j.is_object()) {
    kurier::accounts::Vacation v;
    auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
    v.enabled = j.contains("enabled") && j["enabled"].is_boolean() && j["enabled"].get<bool>();
    v.subject = str("subject");
    v.text = str("text");
    v.start = str("start");
    v.end = str("end");
    v.include = str("include");
    try {
      kurier::accounts::check_vacation(v);
    } catch (const std::exception&) {
      return 0;
    }
    auto back = kurier::accounts::parse_vacation_script(kurier::accounts::vacation_script(v));
    if (!back) std::abort();
    if (back->subject != v.subject || back->start != v.start || back->include != v.include) std::abort();
  }
  return 0;
}
