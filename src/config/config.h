// kurier's settings: the kurier.toml file read into plain structs, checked, and written back.
// Every key, its type, default and meaning is documented in docs/CONFIG.md. No toml++ type
// appears here (toml++ is slow to compile; only load.cpp includes it).
//
// Rules the loader keeps:
// - unknown sections and keys, wrong types and out-of-range values are errors, reported as
//   "FILE:LINE: what is wrong" (the first problem in file order);
// - relative paths (data_dir, tls.certificate, tls.key, lmtp_socket) are resolved against the
//   folder holding the configuration file, so a Config only holds absolute paths;
// - every listener's port is its standard port + [server] port_offset unless [listeners] sets
//   it; 0 there disables the service.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kurier::config {

// One TCP service. Names: smtp submissions submission lmtp imap imaps pop3 pop3s managesieve
// http https. A disabled listener has port 0.
struct Listener {
  std::string name;
  uint16_t port = 0;
  bool enabled = true;
  bool operator==(const Listener&) const = default;
};

struct Config {
  std::filesystem::path file;            // the configuration file itself (as given)
  std::filesystem::path data_dir;        // [server] data_dir, absolute
  std::string hostname;                  // [server] hostname (required)
  std::vector<std::string> bind{"0.0.0.0"};  // [server] bind: IP literals
  // [server] lmtp_bind: LMTP over TCP trusts its client to have checked the recipients (no
  // relay rules, no AUTH), so it listens on loopback unless the operator says otherwise.
  std::vector<std::string> lmtp_bind{"127.0.0.1"};
  int port_offset = 0;                   // [server] port_offset
  int threads = 0;                       // [server] threads: 0 = one per CPU core
  int blocking_threads = 64;             // [server] blocking_threads
  std::string user;                      // [server] user: run as this user once the ports are bound
  std::string lmtp_socket;               // [server] lmtp_socket, absolute; "" = disabled
  std::vector<Listener> listeners;       // every service, in standard_listener_names() order

  struct Tls {
    std::filesystem::path certificate;   // default data_dir/tls/cert.pem
    std::filesystem::path key;           // default data_dir/tls/key.pem
    std::string min_version = "1.2";     // "1.2" or "1.3"
    bool operator==(const Tls&) const = default;
  } tls;

  struct Limits {
    int max_connections = 10000;
    int max_connections_per_ip = 200;    // loopback included
    int max_line_length = 8192;
    uint64_t max_command_bytes = 1024 * 1024;        // IMAP command incl. literals, APPEND excepted
    uint64_t max_message_size = 50 * 1024 * 1024;    // SMTP SIZE, IMAP APPEND
    int max_bad_commands = 20;
    int smtp_timeout_seconds = 300;
    int imap_idle_timeout_seconds = 1860;
    int pop3_timeout_seconds = 600;
    int login_timeout_seconds = 60;    // IMAP, POP3, ManageSieve and submission before login
    int shutdown_grace_seconds = 10;
    int max_recipients = 1000;
    bool operator==(const Limits&) const = default;
  } limits;

  struct Auth {
    bool allow_plaintext_on_loopback = true;
    int free_failures = 3;
    int max_delay_ms = 15000;
    int window_seconds = 900;
    bool operator==(const Auth&) const = default;
  } auth;

  struct Delivery {
    std::string over_quota = "temporary";  // "temporary" (452 4.2.2) or "permanent" (552 5.2.2)
    int duplicate_window_hours = 72;       // 0 = no duplicate suppression
    int quota_warning_percent = 90;        // 0 = no warning
    std::string subaddress_separator = "+";  // "" = no subaddressing
    std::string postmaster;                  // fallback target of postmaster@<hosted domain>; "" = none
    bool operator==(const Delivery&) const = default;
  } delivery;

  struct Outbound {
    std::string relayhost;                       // "HOST:PORT" or "" (direct MX delivery)
    std::map<std::string, std::string> routes;   // lowercased domain -> "HOST:PORT"
    int max_connections_per_domain = 4;
    int retry_initial_seconds = 300;
    int max_queue_days = 5;
    int delay_warning_hours = 4;                 // 0 = no delay warning
    bool require_tls = false;                    // verified TLS to every destination
    std::filesystem::path ca_file;               // extra trusted CAs (PEM), "" = system store only
    bool mta_sts = true;                         // RFC 8461 policies of recipient domains
    bool dane = true;                            // RFC 7672 TLSA (needs a validating resolver)
    std::vector<std::string> dns_servers;        // "IP" / "IP:PORT"; empty = resolv.conf
    int smtp_port = 25;                          // of MX hosts (tests)
    int mta_sts_port = 443;                      // of mta-sts.DOMAIN (tests)
    int transaction_timeout_seconds = 900;       // whole-delivery deadline per destination
    int max_in_flight = 100;                     // messages being delivered at once
    bool operator==(const Outbound&) const = default;
  } outbound;

  std::vector<std::string> trusted_networks;  // [smtp] trusted_networks: CIDR ("10.0.0.0/8") or address

  struct Dkim {
    bool enabled = true;
    std::string selector = "kurier";
    std::vector<std::string> sign_senders;   // signed without AUTH: "user@domain" or "@domain"
    std::vector<std::string> sign_networks;  // CIDR: clients whose hosted-domain mail is signed
    bool operator==(const Dkim&) const = default;
  } dkim;

  struct Srs {
    bool enabled = true;
    std::string domain;      // "" = hostname
    int max_age_days = 21;
    bool operator==(const Srs&) const = default;
  } srs;

  struct Sieve {
    uint64_t max_script_size = 32 * 1024;  // the seed's timsieved: 32 KB per script
    int max_scripts = 5;                   // and 5 scripts per user
    int legacy_port = 0;                   // a second ManageSieve port (the seed's 2000); 0 = none
    int max_redirects = 5;                 // redirect actions one message may cause
    bool operator==(const Sieve&) const = default;
  } sieve;

  struct Pop3 {
    bool mark_seen = true;              // RETR sets \Seen, as Cyrus does (TOP never does)
    std::string uidl_format = "dovecot";  // "dovecot": %08x%08x of UID, UIDVALIDITY; "cyrus": UIDVALIDITY.UID
    bool operator==(const Pop3&) const = default;
  } pop3;

  // Where domains, accounts and aliases live (CONTRACT "Directory backends").
  struct Directory {
    std::string backend = "sqlite";  // "sqlite" (data_dir/directory.db), "mariadb", "postgresql", "sql"
    std::string dsn;                 // mariadb://… or postgresql://… (sqldb/dsn.h); "" for sqlite
    // backend "sql" (directory/external_sql_directory.h): queries into another application's
    // database, each `?` bound to the key; Web-cyradm's tables by default.
    std::string password_query = "SELECT password FROM accountuser WHERE username = ?";
    std::string address_query = "SELECT dest FROM virtual WHERE alias = ? AND status = 1";
    std::string alias_query = "SELECT dest FROM virtual WHERE alias = ? AND status = 1";
    std::string domain_query = "SELECT domain_name FROM domain WHERE domain_name = ?";
    std::string sender_query =
        "SELECT alias FROM virtual WHERE username = ? AND status = 1 AND alias NOT LIKE '@%' ORDER BY alias";
    // login -> IMAP, POP3, Sieve, SMTP AUTH switches (four columns); "" = all allowed.
    std::string services_query = "SELECT imap, pop, sieve, smtpauth FROM accountuser WHERE username = ?";
    std::string password_scheme = "auto";  // "auto", or "des": 13-character hashes are DES crypt
    // The read cache of kurier's own directory (directory/cached_directory.h): how often its
    // change counter is read (the bound on seeing another process's change), and its size.
    int cache_check_interval_ms = 250;  // 0 = before every lookup
    int cache_size = 100000;            // entries (a list counts one per element); 0 = no cache
    bool operator==(const Directory&) const = default;
  } directory;
  struct Web {
    // Clients allowed to read /metrics on the http(s) listeners (CIDR or address).
    std::vector<std::string> metrics_networks{"127.0.0.0/8", "::1"};
    // Reverse proxies (CIDR or address) whose X-Forwarded-For / X-Forwarded-Proto are believed.
    std::vector<std::string> trusted_proxies;
    int session_hours = 12;           // a web login lasts at most this long
    int session_idle_seconds = 1800;   // and ends after this long without a request
    uint64_t max_body_size = 1024 * 1024;  // largest API request body
    int request_timeout_seconds = 30;      // to receive one request
    int keepalive_seconds = 60;            // idle time between requests on one connection
    int quota_warning_percent = 90;        // the UI colours quota bars from this usage on
    bool operator==(const Web&) const = default;
  } web;

  struct Log {
    std::string level = "info";  // "debug", "info", "warn" or "error" (kurier::log::parse_level)
    bool operator==(const Log&) const = default;
  } log;

  // The listener called `name`, enabled or not; nullptr only for a name that is not a service.
  const Listener* listener(std::string_view name) const;

  bool operator==(const Config&) const = default;
};

// The message is "FILE:LINE: what is wrong", or "FILE: what is wrong" when no line applies.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads and checks a configuration file. Throws ConfigError.
Config load(const std::filesystem::path& file);
// Same, from text already in memory; `file` names it in errors and anchors relative paths.
Config parse(std::string_view toml_text, const std::filesystem::path& file);

// The settings of a file that only sets hostname and data_dir (and port_offset). `file` is
// set to data_dir/kurier.toml; a relative data_dir is made absolute.
Config defaults(std::string hostname, std::filesystem::path data_dir, int port_offset = 0);

// The effective settings as TOML, every key present; parse(render(c), c.file) == c.
std::string render(const Config& c);
// The kurier.toml `kurier init` writes: hostname, data_dir and every other setting that differs
// from its default as a live line, each remaining key as a commented-out line showing its
// default, every key under a one-line explanation. parse(initial_file(c), c.file) == c, so
// parsing it is also how to validate a Config built in code.
std::string initial_file(const Config& c);

// $KURIER_CONFIG if set and not empty, else /etc/kurier/kurier.toml.
std::filesystem::path default_config_path();

// Service name -> standard port (smtp 25, submissions 465, submission 587, lmtp 24, imap 143,
// imaps 993, pop3 110, pop3s 995, managesieve 4190, http 80, https 443).
std::map<std::string, uint16_t> standard_ports();
// The same names in the order Config::listeners keeps them.
const std::vector<std::string>& standard_listener_names();

}  // namespace kurier::config
