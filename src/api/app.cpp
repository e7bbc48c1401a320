// The API application: the route table, authentication and role checks for every request, the
// login with the shared throttle, /metrics, the web UI's assets and the http -> https redirect.
#include "net/asio.h"  // first: it sets Boost.Asio's compile options

#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <mutex>

#include "accounts/authenticator.h"
#include "api/api_impl.h"
#include "common/log.h"
#include "common/strings.h"
#include "config/config.h"
#include "directory/directory.h"
#include "http/gzip.h"
#include "http/problem.h"
#include "net/runtime.h"
#include "smtp_protocol/relay_policy.h"
#include "auth/token.h"
#include "web/totp.h"

#if __has_include("webui/assets.h")
#include "webui/assets.h"
#define KURIER_HAVE_WEBUI 1
#endif

namespace kurier::api {
namespace {

// The session cookie's name. On https it carries the __Host- prefix (RFC 6265bis 4.1.3.2): the
// browser then only accepts it Secure, with Path=/ and without Domain, so a sibling subdomain
// cannot toss in a cookie of that name (review M6). Plain http (served only to loopback
// clients) cannot set a Secure cookie, so there it goes by the bare name, and each scheme reads
// only its own name.
constexpr const char* kSessionCookie = "kurier_session";
constexpr const char* kSecureSessionCookie = "__Host-kurier_session";

const char* session_cookie_name(bool secure) { return secure ? kSecureSessionCookie : kSessionCookie; }

using A = Access;
// The one list of routes: the router is built from it and docs/openapi.json is checked against it.
const std::vector<RouteSpec> kRoutes = {
    {"POST", "/api/v1/session", nullptr, A::Public},  // login: Api::login (a coroutine, throttled)
    {"GET", "/api/v1/session", &Api::get_session, A::Anyone},
    {"DELETE", "/api/v1/session", &Api::delete_session, A::Anyone},
    {"GET", "/api/v1/openapi.json", &Api::get_openapi, A::Public},

    {"GET", "/api/v1/domains", &Api::list_domains, A::Admin},
    {"POST", "/api/v1/domains", &Api::create_domain, A::Super},
    {"GET", "/api/v1/domains/{domain}", &Api::get_domain, A::Admin},
    {"PATCH", "/api/v1/domains/{domain}", &Api::update_domain, A::Admin},
    {"DELETE", "/api/v1/domains/{domain}", &Api::delete_domain, A::Super},
    {"GET", "/api/v1/domains/{domain}/usage", &Api::domain_usage, A::Admin},
    {"GET", "/api/v1/domains/{domain}/dkim", &Api::domain_dkim, A::Admin},
    {"GET", "/api/v1/domains/{domain}/dns", &Api::domain_dns, A::Admin},
    {"GET", "/api/v1/domains/{domain}/dns/check", &Api::domain_dns_check, A::Admin},

    {"GET", "/api/v1/accounts", &Api::list_accounts, A::Admin},
    {"POST", "/api/v1/accounts", &Api::create_account, A::Admin},
    {"GET", "/api/v1/accounts/{address}", &Api::get_account, A::Admin},
    {"PATCH", "/api/v1/accounts/{address}", &Api::update_account, A::Admin},
    {"DELETE", "/api/v1/accounts/{address}", &Api::delete_account, A::Admin},
    {"GET", "/api/v1/accounts/{address}/usage", &Api::account_usage, A::Admin},

    {"GET", "/api/v1/aliases", &Api::list_aliases, A::Admin},
    {"POST", "/api/v1/aliases", &Api::create_alias, A::Admin},
    {"GET", "/api/v1/aliases/{source}", &Api::get_alias, A::Admin},
    {"DELETE", "/api/v1/aliases/{source}", &Api::delete_alias, A::Admin},

    {"GET", "/api/v1/admins", &Api::list_admins, A::Super},
    {"POST", "/api/v1/admins", &Api::create_admin, A::Super},
    {"GET", "/api/v1/admins/{name}", &Api::get_admin, A::Super},
    {"PATCH", "/api/v1/admins/{name}", &Api::update_admin, A::Super},
    {"DELETE", "/api/v1/admins/{name}", &Api::delete_admin, A::Super},

    {"GET", "/api/v1/queue", &Api::list_queue, A::Super},
    {"POST", "/api/v1/queue/retry", &Api::retry_queue, A::Super},
    {"POST", "/api/v1/queue/{id}/retry", &Api::retry_queue_message, A::Super},
    {"DELETE", "/api/v1/queue/{id}", &Api::delete_queue_message, A::Super},

    {"GET", "/api/v1/stats", &Api::get_stats, A::Admin},
    {"GET", "/api/v1/audit", &Api::list_audit, A::Admin},
    {"GET", "/api/v1/audit/export", &Api::export_audit, A::Admin},

    {"GET", "/api/v1/api-keys", &Api::list_api_keys, A::Admin},
    {"POST", "/api/v1/api-keys", &Api::create_api_key, A::Admin},
    {"DELETE", "/api/v1/api-keys/{id}", &Api::delete_api_key, A::Admin},

    {"GET", "/api/v1/totp", &Api::get_totp, A::Anyone},
    {"POST", "/api/v1/totp", &Api::begin_totp, A::Anyone},
    {"POST", "/api/v1/totp/confirm", &Api::confirm_totp, A::Anyone},
    {"DELETE", "/api/v1/totp", &Api::delete_totp, A::Anyone},

    {"GET", "/api/v1/me", &Api::get_me, A::User},
    {"PUT", "/api/v1/me/password", &Api::change_my_password, A::User},
    {"GET", "/api/v1/me/forwarding", &Api::get_my_forwarding, A::User},
    {"PUT", "/api/v1/me/forwarding", &Api::set_my_forwarding, A::User},
    {"GET", "/api/v1/me/vacation", &Api::get_my_vacation, A::User},
    {"PUT", "/api/v1/me/vacation", &Api::set_my_vacation, A::User},
    {"GET", "/api/v1/me/sieve", &Api::list_my_sieve, A::User},
    {"GET", "/api/v1/me/sieve/{name}", &Api::get_my_sieve, A::User},
    {"PUT", "/api/v1/me/sieve/{name}", &Api::put_my_sieve, A::User},
    {"DELETE", "/api/v1/me/sieve/{name}", &Api::delete_my_sieve, A::User},
    {"POST", "/api/v1/me/sieve/{name}/activate", &Api::activate_my_sieve, A::User},
    {"GET", "/api/v1/me/preferences", &Api::get_my_preferences, A::Anyone},
    {"PUT", "/api/v1/me/preferences", &Api::put_my_preferences, A::Anyone},
    {"GET", "/api/v1/me/app-passwords", &Api::list_my_app_passwords, A::User},
    {"POST", "/api/v1/me/app-passwords", &Api::create_my_app_password, A::User},
    {"DELETE", "/api/v1/me/app-passwords/{id}", &Api::delete_my_app_password, A::User},
};

// The directory failed: the driver's text goes to the log, the client gets a fixed one (review
// L8: no database internals in answers).
http::Response unavailable(const std::string& detail) {
  log::error("api.unavailable", {{"error", detail}});
  return http::problem(503, "unavailable", "the directory is unavailable; try again later");
}

http::Response problem_for(const accounts::Error& e) {
  switch (e.kind()) {
    case accounts::Error::Invalid: return http::problem(400, "invalid_input", e.what());
    case accounts::Error::NotFound: return http::problem(404, "not_found", e.what());
    case accounts::Error::Conflict: return http::problem(409, "conflict", e.what());
    case accounts::Error::Forbidden: return http::problem(403, "forbidden", e.what());
    case accounts::Error::Limit: return http::problem(409, "limit_exceeded", e.what());
    case accounts::Error::Unavailable: return unavailable(e.what());
  }
  return http::problem(500, "internal_error", e.what());
}

// The value of one cookie in a Cookie header (RFC 6265 5.4: "a=b; c=d").
std::string cookie_value(std::string_view header, std::string_view name) {
  for (auto part : split(header, ';')) {
    part = trim(part);
    auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
  }
  return {};
}

std::string session_cookie(const std::string& value, long max_age, bool secure) {
  // RFC 6265 4.1; SameSite=Strict keeps the cookie off cross-site requests (CSRF defence in
  // depth beside the token).
  return std::string(session_cookie_name(secure)) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(max_age) + (secure ? "; Secure" : "");
}

net::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  timer.expires_after(d);
  boost::system::error_code ec;
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

}  // namespace

// ---- helpers shared by the handlers ----

const std::string& Call::param(std::string_view name) const {
  auto it = params.find(name);
  if (it == params.end()) throw ApiError(500, "internal_error", "route parameter missing");
  return it->second;
}

// The media type of a Content-Type value without its parameters is application/json
// (RFC 9110 8.3.1: case-insensitive).
static bool is_json_content_type(const std::string& content_type) {
  auto type = to_lower(std::string(trim(std::string_view(content_type).substr(0, content_type.find(';')))));
  return type == "application/json";
}

// A request a page of another site made the browser send (Fetch Metadata, and the Origin header
// of RFC 6454 7, which browsers send on every non-GET fetch and form post): the Origin's host
// and port must be the Host the request was sent to. Clients that are not browsers send neither.
static bool is_cross_site(const http::Request& req) {
  if (iequals(req.header("Sec-Fetch-Site"), "cross-site")) return true;
  std::string origin = req.header("Origin");
  if (origin.empty()) return false;
  auto scheme_end = origin.find("://");
  if (scheme_end == std::string::npos) return true;  // "null" (sandboxed, file:) or garbage
  return !iequals(origin.substr(scheme_end + 3), req.header("Host"));
}

json Call::body() const {
  auto type = to_lower(req.header("Content-Type"));
  if (!req.body.empty() && !type.starts_with("application/json"))
    throw ApiError(415, "unsupported_media_type", "send the body as application/json");
  json j = json::parse(req.body.empty() ? std::string_view("{}") : std::string_view(req.body), nullptr, false);
  if (j.is_discarded()) throw ApiError(400, "invalid_json", "the body is not valid JSON");
  if (!j.is_object()) throw ApiError(400, "invalid_json", "the body must be a JSON object");
  return j;
}

std::optional<std::string> opt_string(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw ApiError(400, "invalid_input", std::string(key) + " must be a string");
  return it->get<std::string>();
}

std::string req_string(const json& j, const char* key) {
  auto v = opt_string(j, key);
  if (!v) throw ApiError(400, "invalid_input", std::string(key) + " is required");
  return *v;
}

std::optional<uint64_t> opt_uint(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0))
    throw ApiError(400, "invalid_input", std::string(key) + " must be a non-negative integer");
  return it->get<uint64_t>();
}

std::optional<bool> opt_bool(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) throw ApiError(400, "invalid_input", std::string(key) + " must be true or false");
  return it->get<bool>();
}

std::vector<std::string> string_list(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) throw ApiError(400, "invalid_input", std::string(key) + " must be a list of strings");
  for (const auto& v : *it) {
    if (!v.is_string()) throw ApiError(400, "invalid_input", std::string(key) + " must be a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

http::Response json_response(int status, const json& body) {
  http::Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

http::Response no_content() {
  http::Response r;
  r.status = 204;
  return r;
}

PageRequest page_request(const http::Request& req) {
  PageRequest p;
  if (auto limit = req.param("limit")) {
    char* end = nullptr;
    long n = std::strtol(limit->c_str(), &end, 10);
    if (limit->empty() || *end != '\0' || n < 1 || n > 1000)
      throw ApiError(400, "invalid_input", "limit must be a number from 1 to 1000");
    p.limit = size_t(n);
  }
  p.after = req.param("after").value_or("");
  p.q = to_lower(req.param("q").value_or(""));
  if (p.q.size() > 256) throw ApiError(400, "invalid_input", "q is too long");
  return p;
}

// ---- the application ----

// One session store for every application of one server (its http and https listeners each
// get an Api; `kurier serve` builds both from the same Services): a logout, password change or
// removal on one listener ends the session on the other too, and a session is the same on both.
// The store lives while any application of the server does.
static std::shared_ptr<web::SessionStore> shared_session_store(const Services& services) {
  static std::mutex mutex;
  static std::map<const accounts::AdminService*, std::weak_ptr<web::SessionStore>> stores;
  std::lock_guard lock(mutex);
  std::erase_if(stores, [](const auto& kv) { return kv.second.expired(); });
  auto& slot = stores[&services.admin];
  if (auto store = slot.lock()) return store;
  auto store = std::make_shared<web::SessionStore>(
      web::SessionSettings{std::chrono::hours(services.config.web.session_hours),
                           std::chrono::seconds(services.config.web.session_idle_seconds), 100000});
  slot = store;
  return store;
}

Api::Api(Services services, bool plain_listener)
    : s_(services), plain_listener_(plain_listener), sessions_(shared_session_store(services)) {
  for (const auto& r : kRoutes) router_.add(r.method, r.pattern, &r);
}

const std::vector<RouteSpec>& Api::routes() { return kRoutes; }

// A request a trusted reverse proxy ([web] trusted_proxies) passed on: the client is the
// right-most X-Forwarded-For entry that is not itself a trusted proxy (entries left of it are the
// client's to invent), and X-Forwarded-Proto says whether the client used https. Without the
// header the request is the proxy host's own (a local scraper of /metrics). False when the
// header is present but unusable.
static bool apply_forwarded(http::Request& req, const std::vector<std::string>& proxies) {
  if (proxies.empty() || !smtp::ip_in_networks(req.remote_ip, proxies)) return true;
  std::string forwarded_for;
  for (auto [it, end] = req.headers.equal_range("X-Forwarded-For"); it != end; ++it)
    forwarded_for += (forwarded_for.empty() ? "" : ",") + it->second;  // RFC 9110 5.3: one list
  if (forwarded_for.empty()) return true;
  auto hops = split(forwarded_for, ',');
  std::string client;
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    std::string ip(trim(*hop));
    if (!smtp::ip_in_networks(ip, {ip})) return false;  // not an IP address
    client = ip;
    if (!smtp::ip_in_networks(ip, proxies)) break;
  }
  req.remote_ip = client;
  req.loopback = smtp::ip_in_networks(client, {"127.0.0.0/8", "::1"});
  req.tls = iequals(trim(req.header("X-Forwarded-Proto")), "https");
  return true;
}

net::awaitable<http::Response> Api::handle(http::Request& req) {
  bool direct_tls = req.tls;
  if (!apply_forwarded(req, s_.config.web.trusted_proxies))
    co_return http::problem(400, "bad_request", "X-Forwarded-For from the proxy is not a list of addresses");
  auto r = co_await route(req);
  // https the proxy terminated: the strict-transport answer the server adds for its own TLS.
  if (req.tls && !direct_tls) r.set_header("Strict-Transport-Security", "max-age=31536000");
  co_return r;
}

net::awaitable<http::Response> Api::route(http::Request& req) {
  if (req.path == "/metrics") {
    auto r = co_await serve_metrics(req);
    co_return r;
  }
  // RFC 6797 7.2: plain http only redirects; loopback clients (tests, a local proxy) are served,
  // and so are requests a trusted proxy received over https.
  if (plain_listener_ && !req.tls && !req.loopback) co_return redirect_to_https(req);
  if (req.path.starts_with("/api/")) {
    auto r = co_await serve_api(req);
    co_return r;
  }
  co_return serve_asset(req);
}

// Always to the configured hostname: the Host header is the client's to choose, and a 308 is
// cacheable, so reflecting it would make an open redirect (and poison shared caches).
http::Response Api::redirect_to_https(const http::Request& req) const {
  std::string location = "https://" + s_.config.hostname;
  const auto* https = s_.config.listener("https");
  if (https && https->port != 443) location += ":" + std::to_string(https->port);
  location += req.target;
  http::Response r = http::problem(308, "use_https", "this server answers on https");
  r.set_header("Location", location);
  return r;
}

// The field in which a route's cookie-authenticated caller proves its password again, or
// nullptr. A stolen session alone cannot change the password, switch on a second factor (and
// lock the owner out), or mint app passwords or API keys that outlive the session.
static const char* reauth_field(const RouteSpec& spec) {
  if (spec.handler == &Api::change_my_password) return "old_password";
  if (spec.handler == &Api::begin_totp || spec.handler == &Api::create_my_app_password ||
      spec.handler == &Api::create_api_key)
    return "password";
  return nullptr;
}

net::awaitable<http::Response> Api::serve_api(http::Request& req) {
  auto m = router_.match(req.method, req.path);
  if (m.kind == decltype(m)::NotFound) co_return http::problem(404, "not_found", "no such API resource: " + req.path);
  if (m.kind == decltype(m)::MethodNotAllowed) {
    auto r = http::problem(405, "method_not_allowed", req.method + " is not allowed on " + req.path);
    r.set_header("Allow", m.allow);
    co_return r;
  }
  const RouteSpec& spec = *m.route->handler;
  if (spec.handler == nullptr) {
    auto r = co_await login(req);
    co_return r;
  }
  if (reauth_field(spec)) {
    auto r = co_await reauthenticated(req, spec, m.params);
    co_return r;
  }
  auto work = [&] { return dispatch(req, spec, m.params); };
  auto r = co_await s_.runtime.offload(work);
  co_return r;
}

net::awaitable<http::Response> Api::reauthenticated(http::Request& req, const RouteSpec& spec,
                                                    const http::PathParams& params) {
  struct Claim {
    std::optional<http::Response> refused;
    bool needed = false;
    Caller::Kind kind = Caller::Anonymous;
    std::string name, password;
  };
  const char* field = reauth_field(spec);
  std::time_t now = std::time(nullptr);
  auto who = [&]() -> Claim {
    try {
      Caller caller = authenticate(req, now);
      Call call{req, params, caller, now};
      check_access(call, spec);
      if (!caller.via_cookie) return {};  // an API key: the handler decides
      json b = call.body();
      return {std::nullopt, true, caller.kind, caller.name, req_string(b, field)};
    } catch (const ApiError& e) {
      return {http::problem(e.status(), e.code(), e.what()), false, Caller::Anonymous, {}, {}};
    } catch (const std::exception& e) {
      return {unavailable(e.what()), false, Caller::Anonymous, {}, {}};
    }
  };
  Claim claim = co_await s_.runtime.offload(who);
  if (claim.refused) co_return *claim.refused;
  if (claim.needed) {
    // A password guess like a login's: it waits its turn per account and address, runs on the
    // login pool, and a wrong one is counted.
    std::string ip = req.remote_ip;
    auto wait = s_.authenticator.attempt_wait(ip, claim.name);
    if (wait.count() > 0) co_await sleep_for(wait);
    auto check = [&]() -> accounts::LoginResult::Status {
      if (claim.kind == Caller::User)
        return s_.authenticator.check_web_password(claim.name, claim.password, ip).status;
      if (s_.authenticator.check_admin_login(claim.name, claim.password, ip)) return accounts::LoginResult::Ok;
      s_.authenticator.note_failure(claim.name, ip);
      return accounts::LoginResult::BadCredentials;
    };
    auto status = co_await s_.runtime.offload(check, net::Pool::login);
    if (status == accounts::LoginResult::Unavailable) co_return unavailable("re-authentication: directory unavailable");
    if (status != accounts::LoginResult::Ok) {
      auto delay = s_.authenticator.failure_delay(ip, claim.name);
      if (delay.count() > 0) co_await sleep_for(delay);
      std::string message = std::string(field) == "old_password" ? "the old password is wrong" : "your password is wrong";
      co_return http::problem(403, "forbidden", message);
    }
    s_.authenticator.note_success(claim.name, ip);
  }
  auto work = [&] { return dispatch(req, spec, params); };
  auto r = co_await s_.runtime.offload(work);
  co_return r;
}

http::Response Api::dispatch(http::Request& req, const RouteSpec& spec, const http::PathParams& params) {
  std::time_t now = std::time(nullptr);
  try {
    Caller caller = authenticate(req, now);
    Call call{req, params, caller, now};
    check_access(call, spec);
    if (http::is_safe_method(req.method)) return (this->*spec.handler)(call);
    // A change: what it was before, the change, and its audit entry once it succeeded.
    std::string before = audit_before(req, spec, params, caller);
    http::Response r = (this->*spec.handler)(call);
    // A change whose entry cannot be written is not answered as a plain success (review L6):
    // the client learns that it was made but not recorded.
    if (r.status < 300 && !audit(call, spec, before, r))
      return http::problem(500, "audit_failed", "the change was made, but its audit entry could not be written");
    return r;
  } catch (const ApiError& e) {
    return http::problem(e.status(), e.code(), e.what());
  } catch (const accounts::Error& e) {
    if (e.kind() == accounts::Error::Forbidden)
      log::warn("api.forbidden", {{"method", req.method}, {"path", req.path}, {"ip", req.remote_ip}, {"reason", e.what()}});
    return problem_for(e);
  } catch (const directory::Error& e) {
    switch (e.kind()) {
      case directory::Error::NotFound: return http::problem(404, "not_found", e.what());
      case directory::Error::Conflict: return http::problem(409, "conflict", e.what());
      case directory::Error::Invalid: return http::problem(400, "invalid_input", e.what());
      default: return unavailable(e.what());
    }
  }
}

Caller Api::authenticate(const http::Request& req, std::time_t now) {
  Caller c;
  c.ip = req.remote_ip;
  std::optional<web::Principal> principal;
  auto authorization = req.header("Authorization");
  if (!authorization.empty()) {
    if (!istarts_with(authorization, "Bearer "))
      throw ApiError(401, "unauthenticated", "only Bearer API keys are accepted in Authorization");
    return authenticate_key(std::string(trim(std::string_view(authorization).substr(7))), now, c);
  }
  std::string cookie = cookie_value(req.header("Cookie"), session_cookie_name(req.tls));
  if (!cookie.empty()) {
    auto s = sessions_->find(cookie, now);
    if (s) {
      principal = s->principal;
      c.via_cookie = true;
      c.session_id = cookie;
      c.csrf_token = s->csrf_token;
    }
  }
  if (!principal) return c;
  // The session is bound to the principal's id and to its password hash at login: removed,
  // disabled, or its password reset by somebody else (here, through the CLI or another process)
  // ends it for good, even when the same name is given to somebody else later (M2).
  auto ended = [&] {
    sessions_->remove(cookie);
    return Caller{};
  };
  if (principal->kind == web::Principal::Admin) {
    auto admin = s_.directory.find_admin(principal->name);
    if (!admin || admin->id != principal->id || web::credential_stamp(admin->password_hash) != principal->stamp)
      return ended();
    // A domain admin whose last domain went (deleted, or moved away) is nobody now: an empty
    // list never means "every domain".
    if (!admin->is_super && admin->domains.empty()) return Caller{};
    c.kind = Caller::Admin;
    c.name = admin->name;
    c.actor.role = admin->is_super ? accounts::Actor::SuperAdmin : accounts::Actor::DomainAdmin;
    c.actor.name = admin->name;
    c.actor.domains = admin->domains;
  } else {
    auto account = s_.directory.account_by_id(principal->id);
    if (!account || !account->enabled || web::credential_stamp(account->password_hash) != principal->stamp)
      return ended();
    c.kind = Caller::User;
    c.name = account->address;
    c.account_id = account->id;
    c.actor.role = accounts::Actor::User;
    c.actor.name = account->address;
  }
  c.principal_id = principal->id;
  return c;
}

// An API key acts as its owner would, narrowed to the key's scope: a super-admin key of a
// super-admin, or a domain key for the domains both the key and its owner still have.
Caller Api::authenticate_key(const std::string& key, std::time_t now, Caller c) {
  auto k = key.size() > 200 ? std::nullopt : s_.directory.find_api_key(auth::token_hash(key));
  if (!k || k->revoked_at || (k->expires_at && k->expires_at <= now)) {
    log::warn("api.bad_key", {{"ip", c.ip}, {"reason", !k ? "unknown" : k->revoked_at ? "revoked" : "expired"}});
    throw ApiError(401, "invalid_api_key", "unknown, revoked or expired API key");
  }
  auto owner = s_.directory.find_admin(k->owner);
  if (!owner) throw ApiError(401, "invalid_api_key", "the key's admin is gone");
  c.kind = Caller::Admin;
  c.name = owner->name;
  c.api_key_id = std::to_string(k->id);
  c.actor.name = owner->name;
  if (k->is_super && owner->is_super) {
    c.actor.role = accounts::Actor::SuperAdmin;
    return c;
  }
  c.actor.role = accounts::Actor::DomainAdmin;
  for (const auto& d : k->domains)
    if (owner->is_super || std::any_of(owner->domains.begin(), owner->domains.end(), [&](auto& o) { return iequals(o, d); }))
      c.actor.domains.push_back(d);
  // A domain key none of whose domains its owner still has is worth nothing (never "all").
  if (c.actor.domains.empty()) throw ApiError(401, "invalid_api_key", "the key covers none of its admin's domains");
  return c;
}

void Api::check_access(const Call& c, const RouteSpec& spec) {
  if (spec.access == Access::Public) return;
  if (c.caller.kind == Caller::Anonymous) throw ApiError(401, "unauthenticated", "log in or send an API key");
  // A cookie alone proves nothing about who made the page that sent it: writes made from
  // another site are refused outright, and every write needs the token the login answered with
  // (the synchronizer-token pattern).
  if (c.caller.via_cookie && !http::is_safe_method(c.req.method) && is_cross_site(c.req))
    throw ApiError(403, "cross_site_request", "writes from another site are refused");
  if (c.caller.via_cookie && !http::is_safe_method(c.req.method) &&
      !auth::constant_time_equal(c.req.header("X-CSRF-Token"), c.caller.csrf_token))
    throw ApiError(403, "csrf_token_invalid", "writes need the session's X-CSRF-Token header");
  bool ok = true;
  switch (spec.access) {
    case Access::Admin: ok = c.caller.kind == Caller::Admin; break;
    case Access::Super: ok = c.caller.is_super(); break;
    case Access::User: ok = c.caller.kind == Caller::User; break;
    default: break;
  }
  if (!ok) {
    log::warn("api.forbidden", {{"who", c.caller.name}, {"method", c.req.method}, {"path", c.req.path}, {"ip", c.caller.ip}});
    throw ApiError(403, "forbidden", "your role may not use " + c.req.method + " " + std::string(spec.pattern));
  }
}

// ---- login / logout ----

Api::LoginOutcome Api::check_login(const std::string& username, const std::string& password, const std::string& ip) {
  LoginOutcome out;
  if (auto admin = s_.authenticator.check_admin_login(username, password, ip)) {
    // The stamp of the hash as stored now (a login may just have upgraded an old hash).
    if (auto stored = s_.directory.find_admin(admin->name))
      out.principal = web::Principal{web::Principal::Admin, stored->id, stored->name,
                                     web::credential_stamp(stored->password_hash)};
  } else {
    // Not an admin: a mail user logging in for self-service, with the account's own password
    // (never an app password: those are for mail clients only). Every name that is not an
    // admin goes this way, so each costs one more hash and counts one failure, known or not,
    // and a disabled account answers like a wrong password (review L1: no name oracle).
    auto r = s_.authenticator.check_web_password(username, password, ip);
    if (r.status == accounts::LoginResult::Ok) {
      if (auto stored = s_.directory.account_by_id(r.account.id))
        out.principal = web::Principal{web::Principal::User, stored->id, stored->address,
                                       web::credential_stamp(stored->password_hash)};
    } else if (r.status == accounts::LoginResult::Unavailable) {
      out.code = "unavailable";
    }
  }
  if (!out.principal) return out;
  auto secret = s_.directory.find_totp(totp_principal(*out.principal));
  out.needs_totp = secret && secret->confirmed;
  return out;
}

// RFC 6238: the code of the current step or one step either side; each step works once.
bool Api::check_totp_code(const std::string& principal, const std::string& code, std::time_t now) {
  auto secret = s_.directory.find_totp(principal);
  if (!secret || !secret->confirmed) return false;
  auto step = web::verify_totp(secret->secret, code, now);
  return step && s_.directory.use_totp_step(secret->principal, int64_t(*step));
}

net::awaitable<http::Response> Api::login(http::Request& req) {
  // Login CSRF: a cross-site form can post text/plain that happens to be JSON, but only a
  // same-origin fetch can send application/json without a CORS preflight (which never passes).
  if (!is_json_content_type(req.header("Content-Type")))
    co_return http::problem(415, "unsupported_media_type", "send the login as application/json");
  if (is_cross_site(req)) co_return http::problem(403, "cross_site_request", "logins from another site are refused");
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) co_return http::problem(400, "invalid_json", "send {\"username\", \"password\"}");
  std::string username, password;
  std::optional<std::string> totp;
  try {
    username = req_string(body, "username");
    password = req_string(body, "password");
    totp = opt_string(body, "totp");
  } catch (const ApiError& e) {
    co_return http::problem(e.status(), e.code(), e.what());
  }
  if (username.empty() || username.size() > 320 || password.size() > 1024)
    co_return http::problem(400, "invalid_input", "username or password out of range");
  // The same throttle as IMAP/POP3/SMTP logins (auth::LoginThrottle through the Authenticator):
  // attempts from an address or on an account that owes a delay wait for their turn.
  auto wait = s_.authenticator.attempt_wait(req.remote_ip, username);
  if (wait.count() > 0) co_await sleep_for(wait);
  std::string ip = req.remote_ip;
  auto check = [&] { return check_login(username, password, ip); };
  LoginOutcome outcome = co_await s_.runtime.offload(check, net::Pool::login);
  if (outcome.principal && outcome.needs_totp) {
    // The second factor. A right password is not a success yet: it resets nothing, and wrong
    // codes are counted per principal, so guessing codes is slowed like guessing passwords.
    std::string principal = totp_principal(*outcome.principal);
    if (!totp || totp->empty()) {
      outcome.principal.reset();
      outcome.code = "totp_required";
    } else {
      auto totp_wait = s_.authenticator.totp_attempt_wait(principal);
      if (totp_wait.count() > 0) co_await sleep_for(totp_wait);
      std::time_t now = std::time(nullptr);
      auto verify = [&] { return check_totp_code(principal, *totp, now); };
      if (co_await s_.runtime.offload(verify, net::Pool::login)) {
        s_.authenticator.totp_success(principal);
      } else {
        s_.authenticator.note_failure(username, ip);
        auto delay = s_.authenticator.totp_failure(principal, ip);
        if (delay.count() > 0) co_await sleep_for(delay);
        outcome.principal.reset();
        outcome.code = "totp_invalid";
      }
    }
  }
  if (!outcome.principal && outcome.code == "unavailable") co_return unavailable("login: directory unavailable");
  if (!outcome.principal) {
    auto delay = s_.authenticator.failure_delay(req.remote_ip, username);
    if (delay.count() > 0) co_await sleep_for(delay);
    co_return http::problem(401, outcome.code, "wrong username or password");
  }
  s_.authenticator.note_success(username, ip);
  auto created = sessions_->create(*outcome.principal, std::time(nullptr));
  log::info("web.login", {{"who", outcome.principal->name}, {"ip", req.remote_ip}});
  Caller c;
  try {
    std::time_t now = std::time(nullptr);
    http::Request probe;
    probe.headers.emplace("Cookie", std::string(kSessionCookie) + "=" + created.id);
    auto lookup = [&] { return authenticate(probe, now); };
    c = co_await s_.runtime.offload(lookup);
  } catch (const std::exception& e) {
    co_return unavailable(e.what());
  }
  json j = session_json(c);
  j["csrf_token"] = created.session.csrf_token;
  j["expires"] = created.session.expires;
  auto r = json_response(200, j);
  r.set_header("Set-Cookie", session_cookie(created.id, long(sessions_->settings().lifetime.count()), req.tls));
  co_return r;
}

http::Response Api::get_session(Call& c) {
  json j = session_json(c.caller);
  if (c.caller.via_cookie) j["csrf_token"] = c.caller.csrf_token;
  return json_response(200, j);
}

void Api::end_sessions(const Caller& c, web::Principal::Kind kind, int64_t id) {
  bool own = c.via_cookie && c.principal_id == id &&
             (kind == web::Principal::User ? c.kind == Caller::User : c.kind == Caller::Admin);
  if (!own) {
    sessions_->remove_all(kind, id);
    return;
  }
  sessions_->remove_all(kind, id, c.session_id);
  std::string hash;
  if (kind == web::Principal::User) {
    if (auto a = s_.directory.account_by_id(id)) hash = a->password_hash;
  } else if (auto a = s_.directory.find_admin(c.name)) {
    hash = a->password_hash;
  }
  sessions_->restamp(c.session_id, web::credential_stamp(hash));
}

http::Response Api::delete_session(Call& c) {
  if (c.caller.via_cookie) sessions_->remove(c.caller.session_id);
  auto r = no_content();
  r.set_header("Set-Cookie", session_cookie("", 0, c.req.tls));
  return r;
}

// ---- /metrics ----

net::awaitable<http::Response> Api::serve_metrics(http::Request& req) {
  if (!smtp::ip_in_networks(req.remote_ip, s_.config.web.metrics_networks))
    co_return http::problem(403, "forbidden", "/metrics is not open to " + req.remote_ip);
  if (req.method != "GET" && req.method != "HEAD") {
    auto r = http::problem(405, "method_not_allowed", "use GET");
    r.set_header("Allow", "GET");
    co_return r;
  }
  auto render = [&] { return render_metrics(); };
  std::string text = co_await s_.runtime.offload(render);
  http::Response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = std::move(text);
  co_return r;
}

// ---- the web UI ----

http::Response Api::serve_asset(const http::Request& req) const {
  if (req.method != "GET" && req.method != "HEAD") {
    auto r = http::problem(405, "method_not_allowed", "use GET");
    r.set_header("Allow", "GET");
    return r;
  }
#ifdef KURIER_HAVE_WEBUI
  const webui::Asset* a = webui::find_asset(req.path);
  // The UI routes in the browser: a path whose last segment has no file extension gets the page.
  if (!a && req.path.substr(req.path.rfind('/') + 1).find('.') == std::string::npos)
    a = webui::find_asset("/index.html");
  if (a) {
    http::Response r;
    if (!a->etag.empty()) {
      r.set_header("ETag", std::string(a->etag));
      if (req.header("If-None-Match") == a->etag) {
        r.status = 304;
        return r;
      }
    }
    r.content_type = std::string(a->content_type);
    bool hashed_name = req.path.find("/assets/") == 0;
    r.set_header("Cache-Control", hashed_name ? "public, max-age=31536000, immutable" : "no-cache");
    if (!a->gzip_body.empty() && http::accepts_gzip(req.header("Accept-Encoding"))) {
      r.body = std::string(a->gzip_body);
      r.body_is_gzip = true;
    } else {
      r.body = std::string(a->body);
    }
    return r;
  }
#endif
  return http::problem(404, "not_found", "no such page: " + req.path);
}

std::unique_ptr<http::Application> make_application(Services services, bool plain_listener) {
  return std::make_unique<Api>(services, plain_listener);
}

std::vector<std::pair<std::string, std::string>> route_list() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : kRoutes) out.emplace_back(r.method, r.pattern);
  return out;
}

}  // namespace kurier::api
