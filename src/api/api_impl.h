// Inside the API: the Api application class whose member functions are the route handlers
// (one .cpp per resource: domains.cpp, accounts.cpp, aliases.cpp, admins.cpp, queue.cpp,
// self.cpp, session.cpp, dns.cpp, stats.cpp), the caller of a request, and the error type
// handlers throw for a request's fault.
#pragma once
#include <ctime>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "accounts/admin_service.h"
#include "api/api.h"
#include "api/resource_json.h"
#include "http/router.h"
#include "web/sessions.h"

namespace kurier::api {

using json = nlohmann::json;

// A request's fault with its HTTP status and stable problem code (docs/INTERFACE.md).
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, const std::string& detail)
      : std::runtime_error(detail), status_(status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

// Who sent the request, resolved afresh for every request (an admin's domains may have changed).
struct Caller {
  enum Kind { Anonymous, Admin, User };
  Kind kind = Anonymous;
  accounts::Actor actor;   // Admin: SuperAdmin or DomainAdmin (an API key's scope); User: User
  std::string name;        // admin name or account address
  int64_t account_id = 0;  // User
  bool via_cookie = false;
  std::string session_id;  // the cookie's value, for logout
  std::string csrf_token;
  std::string api_key_id;  // when authenticated by an API key
  int64_t principal_id = 0;  // the session's admin or account id (cookie sessions)
  std::string ip;
  bool is_super() const { return kind == Admin && actor.role == accounts::Actor::SuperAdmin; }
};

// Which callers a route admits before its handler runs (handlers still check objects' domains
// through AdminService, which answers Forbidden outside the caller's domains).
enum class Access { Public, Anyone, Admin, Super, User };

class Api;
struct Call;
using Handler = http::Response (Api::*)(Call&);

struct RouteSpec {
  const char* method;
  const char* pattern;
  Handler handler;
  Access access;
};

struct Call {
  http::Request& req;
  const http::PathParams& params;
  Caller& caller;
  std::time_t now;

  const std::string& param(std::string_view name) const;
  // The request body as a JSON object; ApiError 400 (invalid_json) / 415 otherwise.
  json body() const;
};

// JSON body helpers: typed fields with a 400 `invalid_input` naming the field when wrong.
std::optional<std::string> opt_string(const json& j, const char* key);
std::string req_string(const json& j, const char* key);
std::optional<uint64_t> opt_uint(const json& j, const char* key);
std::optional<bool> opt_bool(const json& j, const char* key);
std::vector<std::string> string_list(const json& j, const char* key);

http::Response json_response(int status, const json& body);
http::Response no_content();

// Cursor paging (?limit=&after=&q=) over a list sorted by `key`.
struct PageRequest {
  size_t limit = 50;
  std::string after;  // the key of the last item of the previous page
  std::string q;      // case-insensitive substring filter
};
PageRequest page_request(const http::Request& req);

class Api : public http::Application {
 public:
  Api(Services services, bool plain_listener);
  net::awaitable<http::Response> handle(http::Request& request) override;

  static const std::vector<RouteSpec>& routes();

  // ---- handlers (one per route; see routes() in app.cpp) ----
  http::Response get_session(Call& c);
  http::Response delete_session(Call& c);

  http::Response list_domains(Call& c);
  http::Response create_domain(Call& c);
  http::Response get_domain(Call& c);
  http::Response update_domain(Call& c);
  http::Response delete_domain(Call& c);
  http::Response domain_usage(Call& c);
  http::Response domain_dkim(Call& c);
  http::Response domain_dns(Call& c);
  http::Response domain_dns_check(Call& c);

  http::Response list_accounts(Call& c);
  http::Response create_account(Call& c);
  http::Response get_account(Call& c);
  http::Response update_account(Call& c);
  http::Response delete_account(Call& c);
  http::Response account_usage(Call& c);

  http::Response list_aliases(Call& c);
  http::Response create_alias(Call& c);
  http::Response get_alias(Call& c);
  http::Response delete_alias(Call& c);

  http::Response list_admins(Call& c);
  http::Response create_admin(Call& c);
  http::Response get_admin(Call& c);
  http::Response update_admin(Call& c);
  http::Response delete_admin(Call& c);

  http::Response list_queue(Call& c);
  http::Response retry_queue(Call& c);
  http::Response retry_queue_message(Call& c);
  http::Response delete_queue_message(Call& c);

  http::Response get_me(Call& c);
  http::Response change_my_password(Call& c);
  http::Response get_my_forwarding(Call& c);
  http::Response set_my_forwarding(Call& c);
  http::Response get_my_vacation(Call& c);
  http::Response set_my_vacation(Call& c);
  http::Response list_my_sieve(Call& c);
  http::Response get_my_sieve(Call& c);
  http::Response put_my_sieve(Call& c);
  http::Response delete_my_sieve(Call& c);
  http::Response activate_my_sieve(Call& c);

  http::Response get_my_preferences(Call& c);
  http::Response put_my_preferences(Call& c);

  http::Response list_my_app_passwords(Call& c);
  http::Response create_my_app_password(Call& c);
  http::Response delete_my_app_password(Call& c);

  http::Response list_api_keys(Call& c);
  http::Response create_api_key(Call& c);
  http::Response delete_api_key(Call& c);

  http::Response get_totp(Call& c);
  http::Response begin_totp(Call& c);
  http::Response confirm_totp(Call& c);
  http::Response delete_totp(Call& c);

  http::Response list_audit(Call& c);
  http::Response export_audit(Call& c);

  http::Response get_stats(Call& c);
  http::Response get_openapi(Call& c);

 private:
  net::awaitable<http::Response> route(http::Request& req);
  net::awaitable<http::Response> serve_api(http::Request& req);
  net::awaitable<http::Response> login(http::Request& req);
  net::awaitable<http::Response> serve_metrics(http::Request& req);
  http::Response dispatch(http::Request& req, const RouteSpec& spec, const http::PathParams& params);
  Caller authenticate(const http::Request& req, std::time_t now);
  void check_access(const Call& c, const RouteSpec& spec);
  http::Response serve_asset(const http::Request& req) const;
  std::string render_metrics();
  http::Response redirect_to_https(const http::Request& req) const;
  // Login check run on the login pool: the principal, or nullopt (and why, for the answer).
  struct LoginOutcome {
    std::optional<web::Principal> principal;
    std::string code = "bad_credentials";
    bool needs_totp = false;  // the password was right and a confirmed second factor is on
  };
  // Routes that need the caller's password again (PUT /me/password's old one; POST /totp,
  // /me/app-passwords and /api-keys with a session): it is checked through the Authenticator
  // (waits its turn per account and address, counts failures) on the login pool before the
  // change is dispatched.
  net::awaitable<http::Response> reauthenticated(http::Request& req, const RouteSpec& spec,
                                                 const http::PathParams& params);
  // The first factor; records failures but never a success (see finish_login).
  LoginOutcome check_login(const std::string& username, const std::string& password, const std::string& ip);
  // The second factor's code, counted per principal (Authenticator::totp_*).
  bool check_totp_code(const std::string& principal, const std::string& code, std::time_t now);
  // A code check outside the login (confirm, switching off): refused (429) while the principal
  // owes a delay for wrong codes, and a wrong code is counted.
  void guard_totp_code(const Caller& c, const std::string& principal);
  void count_totp_failure(const Caller& c, const std::string& principal);
  Caller authenticate_key(const std::string& key, std::time_t now, Caller c);
  // The audit entry of a successful change (api/audit.cpp); false when it could not be written.
  bool audit(const Call& c, const RouteSpec& spec, const std::string& before, const http::Response& result);
  std::string audit_before(http::Request& req, const RouteSpec& spec, const http::PathParams& params, Caller& caller);

  // Self-service helpers.
  directory::Account my_account(const Call& c);
  directory::Account my_sieve_account(const Call& c);
  // The web login's stored preferences (an empty object when none), by its principal's id.
  json my_preferences(const Caller& c);
  // What GET/POST /api/v1/session answer about the caller, with its preferences.
  json session_json(const Caller& c);
  // Ends the sessions of a principal whose password somebody else reset, who was disabled or
  // removed; the caller's own session survives its own password change, with the new stamp.
  void end_sessions(const Caller& c, web::Principal::Kind kind, int64_t id);

  Services s_;
  bool plain_listener_;
  std::shared_ptr<web::SessionStore> sessions_;  // shared with the server's other listener
  http::Router<const RouteSpec*> router_;
};

// "admin:NAME" / "user:ADDRESS": the key of a principal's TOTP secret.
std::string totp_principal(const Caller& c);
std::string totp_principal(const web::Principal& p);


}  // namespace kurier::api
