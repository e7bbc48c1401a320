// Every section and key of kurier.toml: its explanation, type, range and syntax checks.
// docs/CONFIG.md is the long form of this table; keep them in step.
#include "config/schema.h"

#include <fmt/format.h>

#include <type_traits>

#include "common/strings.h"
#include "config/address.h"
#include "config/toml_text.h"
#include "sqldb/dsn.h"

namespace kurier::config::schema {
namespace {

using Kind = Value::Kind;
// Checks a string setting; returns "" or why it is wrong (the caller prefixes the value).
using Check = std::function<std::string(std::string_view)>;

std::string name_of(std::string_view section, std::string_view key) { return fmt::format("[{}] {}", section, key); }

std::string type_error(const std::string& name, std::string_view expected, const Value& v) {
  return fmt::format("{} must be {}, not {}", name, expected, describe(v.kind));
}

Field make(std::string_view section, std::string_view key, std::string_view help) {
  Field f;
  f.section = section;
  f.key = std::string(key);
  f.help = std::string(help);
  return f;
}

// `get` is a generic lambda `[](auto& c) -> auto& { return c.some.member; }`, so the same
// accessor serves read (Config&) and write (const Config&).
template <class Get>
Field integer(std::string_view section, std::string_view key, int64_t min, int64_t max, Get get,
              std::string_view help) {
  Field f = make(section, key, help);
  f.read = [name = name_of(section, key), min, max, get](const Value& v, const ReadContext&, Config& c) {
    if (v.kind != Kind::integer) return type_error(name, "an integer", v);
    if (v.integer < min || v.integer > max)
      return fmt::format("{} must be between {} and {}, not {}", name, min, max, v.integer);
    using T = std::remove_reference_t<decltype(get(c))>;
    get(c) = static_cast<T>(v.integer);
    return std::string();
  };
  f.write = [get](const Config& c) { return std::to_string(get(c)); };
  return f;
}

template <class Get>
Field boolean(std::string_view section, std::string_view key, Get get, std::string_view help) {
  Field f = make(section, key, help);
  f.read = [name = name_of(section, key), get](const Value& v, const ReadContext&, Config& c) {
    if (v.kind != Kind::boolean) return type_error(name, "true or false", v);
    get(c) = v.boolean;
    return std::string();
  };
  f.write = [get](const Config& c) { return std::string(get(c) ? "true" : "false"); };
  return f;
}

// A byte count: an integer, or a string parse_size() reads ("50M").
template <class Get>
Field size(std::string_view section, std::string_view key, uint64_t min, uint64_t max, Get get,
           std::string_view help) {
  Field f = make(section, key, help);
  f.read = [name = name_of(section, key), min, max, get](const Value& v, const ReadContext&, Config& c) {
    std::optional<uint64_t> bytes;
    if (v.kind == Kind::integer && v.integer >= 0) bytes = uint64_t(v.integer);
    else if (v.kind == Kind::string) bytes = parse_size(v.text);
    else if (v.kind != Kind::integer) return type_error(name, "a size such as \"50M\"", v);
    if (!bytes) {
      std::string shown = v.kind == Kind::string ? toml_quote(v.text) : std::to_string(v.integer);
      return fmt::format("{}: {} is not a size (a number of bytes, or one with K, M or G)", name, shown);
    }
    if (*bytes < min || *bytes > max)
      return fmt::format("{} must be between {} and {}, not {}", name, format_size(min), format_size(max),
                         format_size(*bytes));
    get(c) = *bytes;
    return std::string();
  };
  f.write = [get](const Config& c) { return toml_quote(format_size(get(c))); };
  return f;
}

template <class Get>
Field text(std::string_view section, std::string_view key, Check check, Get get, std::string_view help) {
  Field f = make(section, key, help);
  f.read = [name = name_of(section, key), check, get](const Value& v, const ReadContext&, Config& c) {
    if (v.kind != Kind::string) return type_error(name, "a string", v);
    if (std::string why = check(v.text); !why.empty()) return fmt::format("{}: {} {}", name, toml_quote(v.text), why);
    get(c) = v.text;
    return std::string();
  };
  f.write = [get](const Config& c) { return toml_quote(get(c)); };
  return f;
}

std::string list_choices(const std::vector<std::string_view>& choices) {
  std::string out;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i) out += i + 1 == choices.size() ? " or " : ", ";
    out += toml_quote(choices[i]);
  }
  return out;
}

template <class Get>
Field choice(std::string_view section, std::string_view key, std::vector<std::string_view> choices, Get get,
             std::string_view help) {
  Field f = make(section, key, help);
  f.read = [name = name_of(section, key), choices, get](const Value& v, const ReadContext&, Config& c) {
    if (v.kind != Kind::string) return type_error(name, "a string", v);
    for (auto allowed : choices)
      if (v.text == allowed) {
        get(c) = v.text;
        return std::string();
      }
    return fmt::format("{} must be {}, not {}", name, list_choices(choices), toml_quote(v.text));
  };
  f.write = [get](const Config& c) { return toml_quote(get(c)); };
  return f;
}

// A string or an array of strings, each passing `check`.
template <class Get>
Field string_list(std::string_view section, std::string_view key, bool allow_empty, Check check, Get get,
                  std::string_view help) {
  Field f = make(section, key, help);
  f.read = [name = name_of(section, key), allow_empty, check, get](const Value& v, const ReadContext&, Config& c) {
    std::vector<Value> items = v.kind == Kind::array ? v.items : std::vector<Value>{v};
    std::vector<std::string> out;
    for (const auto& item : items) {
      if (item.kind != Kind::string) return type_error(name, "a string or an array of strings", item);
      if (std::string why = check(item.text); !why.empty())
        return fmt::format("{}: {} {}", name, toml_quote(item.text), why);
      out.push_back(item.text);
    }
    if (out.empty() && !allow_empty) return fmt::format("{} must not be empty", name);
    get(c) = std::move(out);
    return std::string();
  };
  f.write = [get](const Config& c) { return toml_string_array(get(c)); };
  return f;
}

// A file or folder; relative to the configuration file's folder. `optional`: "" is allowed and
// kept as "" (meaning "disabled").
template <class Get>
Field path(std::string_view section, std::string_view key, bool optional, Get get, std::string_view help) {
  Field f = make(section, key, help);
  f.read = [name = name_of(section, key), optional, get](const Value& v, const ReadContext& ctx, Config& c) {
    if (v.kind != Kind::string) return type_error(name, "a string (a path)", v);
    if (v.text.find('\0') != std::string::npos) return fmt::format("{} must not contain a NUL character", name);
    if (v.text.empty() && !optional) return fmt::format("{} must not be empty", name);
    using T = std::remove_reference_t<decltype(get(c))>;
    get(c) = v.text.empty() ? T() : T(resolve_path(ctx.base_dir, v.text));
    return std::string();
  };
  f.write = [get](const Config& c) { return toml_quote(std::filesystem::path(get(c)).string()); };
  return f;
}

Field listener(const Service& s) {
  std::string help = fmt::format("{}: {}; standard port {}", s.name, s.help, s.port);
  Field f = make("listeners", s.name, help);
  std::string service(s.name);
  f.read = [name = name_of("listeners", s.name), service](const Value& v, const ReadContext&, Config& c) {
    if (v.kind != Kind::integer) return type_error(name, "an integer (a port, 0 disables)", v);
    if (v.integer < 0 || v.integer > 65535)
      return fmt::format("{} must be a port between 1 and 65535, or 0 to disable it, not {}", name, v.integer);
    for (auto& l : c.listeners)
      if (l.name == service) l = {service, uint16_t(v.integer), v.integer != 0};
    return std::string();
  };
  f.write = [service](const Config& c) {
    const Listener* l = c.listener(service);
    return std::to_string(l && l->enabled ? l->port : 0);
  };
  return f;
}

std::string check_host_name(std::string_view s) {
  return is_host_name(s) ? "" : "is not a host name";
}
std::string check_ip(std::string_view s) { return is_ip_address(s) ? "" : "is not an IPv4 or IPv6 address"; }
std::string check_cidr(std::string_view s) { return is_cidr(s) ? "" : "is not a network such as \"10.0.0.0/8\""; }
std::string check_host_port(std::string_view s) {
  if (s.empty() || parse_host_port(s)) return "";
  return "is not HOST:PORT (IPv6 as [::1]:25)";
}
// "192.0.2.53", "192.0.2.53:5353", "[2001:db8::53]:53", "2001:db8::53"
std::string check_dns_server(std::string_view s) {
  if (is_ip_address(s)) return "";
  if (auto hp = parse_host_port(s); hp && is_ip_address(hp->host)) return "";
  return "is not an IP address, optionally with a port (\"127.0.0.1:53\", \"[::1]:53\")";
}
std::string check_selector(std::string_view s) {
  // RFC 6376 3.1: selector = sub-domain *( "." sub-domain )
  return is_host_name(s) ? "" : "is not a DKIM selector (letters, digits, hyphens, dots)";
}
// Postfix calls this recipient_delimiter; one character that cannot start or end a local part.
std::string check_separator(std::string_view s) {
  if (s.empty()) return "";
  bool ok = s.size() == 1 && std::string_view("+-_=#~%&").find(s[0]) != std::string_view::npos;
  return ok ? "" : "is not one of + - _ = # ~ % & (or \"\" to disable subaddressing)";
}

// A mailbox address, local@domain with a host-name domain; "" is allowed (unset).
// POSIX portable user names (and Debian's adduser default NAME_REGEX), "" for none.
std::string check_user_name(std::string_view s) {
  bool ok = s.empty() || (s.size() <= 32 && s.front() != '-' &&
                          s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
                              std::string_view::npos);
  return ok ? "" : "is not a user name such as \"kurier\"";
}

std::string check_mail_address(std::string_view s) {
  if (s.empty()) return "";
  auto at = s.rfind('@');
  bool ok = at != std::string_view::npos && at > 0 && s.size() <= 254 && is_host_name(s.substr(at + 1)) &&
            s.substr(0, at).find_first_of(" \t\"<>()[]\\,;:") == std::string_view::npos;
  return ok ? "" : "is not a mail address such as \"hostmaster@example.org\"";
}

std::string check_optional_host_name(std::string_view s) { return s.empty() ? "" : check_host_name(s); }

// [dkim] sign_senders: a mail address, or "@domain" for every sender of a domain.
std::string check_sender_pattern(std::string_view s) {
  if (s.size() > 1 && s[0] == '@' && is_host_name(s.substr(1))) return "";
  if (!s.empty() && check_mail_address(s).empty()) return "";
  return "is not a mail address or \"@domain\"";
}

std::vector<Field> server_fields() {
  return {
      [] {
        Field f = text("server", "hostname", check_host_name, [](auto& c) -> auto& { return c.hostname; },
                       "Name of this server in SMTP greetings, Received: headers and its TLS certificate (required).");
        f.always_written = true;
        return f;
      }(),
      [] {
        Field f = path("server", "data_dir", false, [](auto& c) -> auto& { return c.data_dir; },
                       "Folder of the database, mail and TLS files; relative paths are relative to this file's folder.");
        f.always_written = true;
        return f;
      }(),
      string_list("server", "bind", false, check_ip, [](auto& c) -> auto& { return c.bind; },
                  "IP addresses to listen on, one string or an array; \"::\" is every IPv6 interface."),
      string_list("server", "lmtp_bind", false, check_ip, [](auto& c) -> auto& { return c.lmtp_bind; },
                  "IP addresses the LMTP listener listens on (not [server] bind): loopback by default, as LMTP takes mail for any local recipient without AUTH."),
      integer("server", "port_offset", 0, 65535, [](auto& c) -> auto& { return c.port_offset; },
              "Added to every standard port: 10000 gives smtp 10025, imap 10143, https 10443."),
      integer("server", "threads", 0, 1024, [](auto& c) -> auto& { return c.threads; },
              "I/O threads (each runs its own share of the connections); 0 means one per CPU core."),
      integer("server", "blocking_threads", 1, 4096, [](auto& c) -> auto& { return c.blocking_threads; },
              "Threads for blocking work (database, delivery, fsync, password hashing); a delivery "
              "waiting for its group commit holds one, so this caps how many commit together."),
      text("server", "user", check_user_name, [](auto& c) -> auto& { return c.user; },
           "Started as root, `serve` binds its ports, makes data_dir this user's, then runs as this "
           "user with no capabilities left (e.g. \"kurier\", made by `adduser --system kurier`); \"\" "
           "keeps the starting user."),
      path("server", "lmtp_socket", true, [](auto& c) -> auto& { return c.lmtp_socket; },
           "Unix socket accepting LMTP deliveries from local programs; \"\" disables it."),
  };
}

std::vector<Field> listener_fields() {
  std::vector<Field> out;
  for (const auto& s : services()) out.push_back(listener(s));
  return out;
}

std::vector<Field> tls_fields() {
  return {
      path("tls", "certificate", false, [](auto& c) -> auto& { return c.tls.certificate; },
           "PEM certificate chain, server certificate first; `kurier init` writes a self-signed one."),
      path("tls", "key", false, [](auto& c) -> auto& { return c.tls.key; }, "PEM private key of the certificate."),
      choice("tls", "min_version", {"1.2", "1.3"}, [](auto& c) -> auto& { return c.tls.min_version; },
             "Oldest TLS version accepted: \"1.2\" or \"1.3\"."),
  };
}

std::vector<Field> limits_fields() {
  constexpr uint64_t K = 1024, M = K * K, G = K * M;
  return {
      integer("limits", "max_connections", 1, 1000000, [](auto& c) -> auto& { return c.limits.max_connections; },
              "Open connections across all services; further ones are refused."),
      integer("limits", "max_connections_per_ip", 1, 1000000,
              [](auto& c) -> auto& { return c.limits.max_connections_per_ip; },
              "Open connections from one client IP address, loopback included."),
      integer("limits", "max_line_length", 1000, 1048576, [](auto& c) -> auto& { return c.limits.max_line_length; },
              "Longest protocol line in bytes (RFC 5321 4.5.3.1.6: at least 1000)."),
      size("limits", "max_command_bytes", 1 * K, 1 * G, [](auto& c) -> auto& { return c.limits.max_command_bytes; },
           "Largest IMAP command including its literals (APPEND is bounded by max_message_size)."),
      size("limits", "max_message_size", 1 * K, 4 * G, [](auto& c) -> auto& { return c.limits.max_message_size; },
           "Largest message accepted by SMTP (announced as SIZE) and IMAP APPEND; bytes or K/M/G."),
      integer("limits", "max_bad_commands", 1, 10000, [](auto& c) -> auto& { return c.limits.max_bad_commands; },
              "Unknown or malformed commands tolerated before the connection is closed."),
      integer("limits", "smtp_timeout_seconds", 1, 86400, [](auto& c) -> auto& { return c.limits.smtp_timeout_seconds; },
              "Idle time before an SMTP session is closed (RFC 5321 4.5.3.2.7: 5 minutes)."),
      integer("limits", "imap_idle_timeout_seconds", 1, 86400,
              [](auto& c) -> auto& { return c.limits.imap_idle_timeout_seconds; },
              "Idle time before an IMAP session is closed (RFC 9051 5.4: at least 30 minutes)."),
      integer("limits", "pop3_timeout_seconds", 1, 86400, [](auto& c) -> auto& { return c.limits.pop3_timeout_seconds; },
              "Idle time before a POP3 session is closed (RFC 1939 3: at least 10 minutes)."),
      integer("limits", "login_timeout_seconds", 1, 86400,
              [](auto& c) -> auto& { return c.limits.login_timeout_seconds; },
              "Idle time before login (IMAP, POP3, ManageSieve, submission before AUTH); afterwards the service's own timeout applies."),
      integer("limits", "shutdown_grace_seconds", 0, 3600,
              [](auto& c) -> auto& { return c.limits.shutdown_grace_seconds; },
              "On SIGTERM, time open sessions get to finish before they are closed."),
      integer("limits", "max_recipients", 1, 100000, [](auto& c) -> auto& { return c.limits.max_recipients; },
              "Recipients per message (RFC 5321 4.5.3.1.8: at least 100)."),
  };
}

std::vector<Field> auth_fields() {
  return {
      boolean("auth", "allow_plaintext_on_loopback", [](auto& c) -> auto& { return c.auth.allow_plaintext_on_loopback; },
              "Allow password logins without TLS from 127.0.0.1 and ::1."),
      integer("auth", "free_failures", 0, 1000, [](auto& c) -> auto& { return c.auth.free_failures; },
              "Failed logins from one client IP before each further attempt is delayed."),
      integer("auth", "max_delay_ms", 0, 600000, [](auto& c) -> auto& { return c.auth.max_delay_ms; },
              "Longest delay in milliseconds imposed on a failed login."),
      integer("auth", "window_seconds", 1, 86400, [](auto& c) -> auto& { return c.auth.window_seconds; },
              "How long a failed login counts against its client IP."),
  };
}

std::vector<Field> delivery_fields() {
  return {
      choice("delivery", "over_quota", {"temporary", "permanent"}, [](auto& c) -> auto& { return c.delivery.over_quota; },
             "Answer for a recipient over quota: \"temporary\" (452 4.2.2) or \"permanent\" (552 5.2.2)."),
      integer("delivery", "duplicate_window_hours", 0, 8760,
              [](auto& c) -> auto& { return c.delivery.duplicate_window_hours; },
              "Hours a delivered Message-ID is remembered to drop duplicate copies; 0 disables."),
      integer("delivery", "quota_warning_percent", 0, 100,
              [](auto& c) -> auto& { return c.delivery.quota_warning_percent; },
              "Mailbox usage in percent at which the user is warned once; 0 disables."),
      text("delivery", "subaddress_separator", check_separator,
           [](auto& c) -> auto& { return c.delivery.subaddress_separator; },
           "Separates user and tag in user+tag@domain (RFC 5233); \"\" disables subaddressing."),
      text("delivery", "postmaster", check_mail_address, [](auto& c) -> auto& { return c.delivery.postmaster; },
           "Where postmaster@ of every hosted domain goes when that domain has no postmaster alias, "
           "account or catch-all (RFC 5321 4.5.1); \"\" leaves such mail unknown (550 5.1.1)."),
  };
}

std::vector<Field> outbound_fields() {
  return {
      text("outbound", "relayhost", check_host_port, [](auto& c) -> auto& { return c.outbound.relayhost; },
           "Send all remote mail through this \"HOST:PORT\" (IPv6 as \"[::1]:25\"); \"\" delivers by MX."),
      integer("outbound", "max_connections_per_domain", 1, 1000,
              [](auto& c) -> auto& { return c.outbound.max_connections_per_domain; },
              "Simultaneous deliveries to one destination domain."),
      integer("outbound", "retry_initial_seconds", 1, 86400,
              [](auto& c) -> auto& { return c.outbound.retry_initial_seconds; },
              "First retry delay after a temporary failure; later retries back off (RFC 5321 4.5.4.1)."),
      integer("outbound", "max_queue_days", 1, 60, [](auto& c) -> auto& { return c.outbound.max_queue_days; },
              "Days a message is retried before it bounces (RFC 5321 4.5.4.1: 4-5 days)."),
      integer("outbound", "delay_warning_hours", 0, 1440,
              [](auto& c) -> auto& { return c.outbound.delay_warning_hours; },
              "Hours of delay after which the sender is told the message is still queued; 0 disables."),
      boolean("outbound", "require_tls", [](auto& c) -> auto& { return c.outbound.require_tls; },
              "Deliver only over TLS with a certificate that verifies (trust store + ca_file, the host's name); "
              "otherwise the message stays queued and bounces at expiry."),
      path("outbound", "ca_file", true, [](auto& c) -> auto& { return c.outbound.ca_file; },
           "Extra trusted CA certificates (PEM) for outbound TLS and MTA-STS, added to the system's; \"\" = none."),
      boolean("outbound", "mta_sts", [](auto& c) -> auto& { return c.outbound.mta_sts; },
              "Apply recipient domains' MTA-STS policies (RFC 8461) to MX delivery."),
      boolean("outbound", "dane", [](auto& c) -> auto& { return c.outbound.dane; },
              "Authenticate MX hosts by DNSSEC-validated TLSA records (DANE, RFC 7672); needs a validating resolver."),
      string_list("outbound", "dns_servers", true, check_dns_server,
                  [](auto& c) -> auto& { return c.outbound.dns_servers; },
                  "Resolvers for outbound mail, \"IP\" or \"IP:PORT\" (e.g. a local validating resolver); [] = resolv.conf."),
      integer("outbound", "smtp_port", 1, 65535, [](auto& c) -> auto& { return c.outbound.smtp_port; },
              "TCP port of MX hosts (25; other values are for tests)."),
      integer("outbound", "mta_sts_port", 1, 65535, [](auto& c) -> auto& { return c.outbound.mta_sts_port; },
              "HTTPS port of mta-sts.DOMAIN policy hosts (443; other values are for tests)."),
      integer("outbound", "transaction_timeout_seconds", 10, 86400,
              [](auto& c) -> auto& { return c.outbound.transaction_timeout_seconds; },
              "Deadline for one delivery attempt to one destination, connect to QUIT; then it is aborted and retried."),
      integer("outbound", "max_in_flight", 1, 10000, [](auto& c) -> auto& { return c.outbound.max_in_flight; },
              "Messages being delivered at once (those waiting for a busy destination do not count)."),
  };
}

std::vector<Field> other_fields() {
  return {
      string_list("smtp", "trusted_networks", true, check_cidr, [](auto& c) -> auto& { return c.trusted_networks; },
                  "Networks allowed to relay without AUTH, e.g. [\"10.0.0.0/8\"]; empty trusts none, not even loopback."),
      boolean("dkim", "enabled", [](auto& c) -> auto& { return c.dkim.enabled; },
              "Sign outgoing mail with each domain's DKIM key (RFC 6376)."),
      text("dkim", "selector", check_selector, [](auto& c) -> auto& { return c.dkim.selector; },
           "DKIM selector: the public key is published at SELECTOR._domainkey.DOMAIN."),
      string_list("dkim", "sign_senders", true, check_sender_pattern, [](auto& c) -> auto& { return c.dkim.sign_senders; },
                  "Envelope senders (\"app@example.org\", or \"@example.org\") signed without AUTH; empty: only authenticated submission."),
      string_list("dkim", "sign_networks", true, check_cidr, [](auto& c) -> auto& { return c.dkim.sign_networks; },
                  "Client networks whose mail from hosted domains is signed without AUTH, e.g. [\"10.0.0.5\"]."),
      boolean("srs", "enabled", [](auto& c) -> auto& { return c.srs.enabled; },
              "Rewrite the envelope sender of forwarded mail from other domains (SRS0=...@DOMAIN, as postsrsd)."),
      text("srs", "domain", check_optional_host_name, [](auto& c) -> auto& { return c.srs.domain; },
           "Domain of rewritten senders (its MX must be this server); \"\" uses [server] hostname."),
      integer("srs", "max_age_days", 1, 1000, [](auto& c) -> auto& { return c.srs.max_age_days; },
              "Days a rewritten sender is accepted for bounces."),
      boolean("pop3", "mark_seen", [](auto& c) -> auto& { return c.pop3.mark_seen; },
              "RETR marks the message \\Seen for IMAP clients (as Cyrus does); TOP never does."),
      choice("pop3", "uidl_format", {"dovecot", "cyrus"}, [](auto& c) -> auto& { return c.pop3.uidl_format; },
             "UIDL of a message: \"dovecot\" (%08x%08x of UID and UIDVALIDITY) or \"cyrus\" (UIDVALIDITY.UID)."),
      choice("log", "level", {"debug", "info", "warn", "error"}, [](auto& c) -> auto& { return c.log.level; },
             "Least severe messages logged: \"debug\", \"info\", \"warn\" or \"error\"."),
  };
}

std::string check_dsn(std::string_view s) {
  if (s.empty()) return "";
  try {
    sqldb::parse_dsn(s);
    return "";
  } catch (const sqldb::Error& e) {
    return std::string("is not a database DSN: ") + e.what();
  }
}

// A query of the "sql" backend: one SELECT with `?` for the key, nothing spliced in.
std::string check_query(std::string_view s) {
  std::string lower = to_lower(s);
  if (!lower.starts_with("select ")) return "must be a SELECT";
  if (s.find('?') == std::string_view::npos) return "needs a ? for the key";
  if (s.find(';') != std::string_view::npos) return "must be one statement (no ';')";
  return "";
}

std::string check_optional_query(std::string_view s) { return s.empty() ? "" : check_query(s); }

std::vector<Field> directory_fields() {
  return {
      choice("directory", "backend", {"sqlite", "mariadb", "postgresql", "sql"},
             [](auto& c) -> auto& { return c.directory.backend; },
             "\"sqlite\" (DATA/directory.db), \"mariadb\" or \"postgresql\" (kurier's schema at dsn), \"sql\" (another application's database)."),
      text("directory", "dsn", check_dsn, [](auto& c) -> auto& { return c.directory.dsn; },
           "The database server: \"mariadb://USER:PASSWORD@HOST:PORT/DB\" or \"postgresql://…\" (?sslmode=require for TLS)."),
      text("directory", "password_query", check_query, [](auto& c) -> auto& { return c.directory.password_query; },
           "backend \"sql\": login -> stored password (crypt, MySQL PASSWORD() or plaintext)."),
      text("directory", "address_query", check_query, [](auto& c) -> auto& { return c.directory.address_query; },
           "backend \"sql\": address -> login(s) of the account it belongs to."),
      text("directory", "alias_query", check_query, [](auto& c) -> auto& { return c.directory.alias_query; },
           "backend \"sql\": address or @domain -> targets (addresses, logins, @domain)."),
      text("directory", "domain_query", check_query, [](auto& c) -> auto& { return c.directory.domain_query; },
           "backend \"sql\": domain -> a row when the domain is local."),
      text("directory", "sender_query", check_query, [](auto& c) -> auto& { return c.directory.sender_query; },
           "backend \"sql\": login -> its primary address (sender rewriting)."),
      text("directory", "services_query", check_optional_query, [](auto& c) -> auto& { return c.directory.services_query; },
           "backend \"sql\": login -> one row of four switches: IMAP, POP3, Sieve, SMTP AUTH (0/false/no/NULL = off); \"\" = all on."),
      choice("directory", "password_scheme", {"auto", "des"}, [](auto& c) -> auto& { return c.directory.password_scheme; },
             "backend \"sql\": \"des\" reads 13-character passwords as DES crypt(3), \"auto\" as plaintext."),
      integer("directory", "cache_check_interval_ms", 0, 60000,
              [](auto& c) -> auto& { return c.directory.cache_check_interval_ms; },
              "How often the directory cache reads the database's change counter: another process's change is seen at most this long after it; 0 = before every lookup."),
      integer("directory", "cache_size", 0, 100000000, [](auto& c) -> auto& { return c.directory.cache_size; },
              "Entries the directory cache holds (a list counts one per element); 0 = no cache."),
  };
}

std::vector<Field> sieve_fields() {
  return {
      size("sieve", "max_script_size", 1024, 16 * 1024 * 1024, [](auto& c) -> auto& { return c.sieve.max_script_size; },
           "Largest Sieve script a user may store (ManageSieve QUOTA/MAXSIZE); bytes or K/M."),
      integer("sieve", "max_scripts", 1, 1000, [](auto& c) -> auto& { return c.sieve.max_scripts; },
              "Sieve scripts one user may store (ManageSieve QUOTA/MAXSCRIPTS)."),
      integer("sieve", "legacy_port", 0, 65535, [](auto& c) -> auto& { return c.sieve.legacy_port; },
              "A second ManageSieve port, as the seed's timsieved used 2000 (not moved by port_offset); 0 = none."),
      integer("sieve", "max_redirects", 0, 100, [](auto& c) -> auto& { return c.sieve.max_redirects; },
              "Redirect actions one message may cause (announced as MAXREDIRECTS)."),
  };
}

std::vector<Field> web_fields() {
  return {
      string_list("web", "metrics_networks", true, check_cidr, [](auto& c) -> auto& { return c.web.metrics_networks; },
                  "Client networks that may read /metrics on the http/https ports; empty: nobody."),
      string_list("web", "trusted_proxies", true, check_cidr, [](auto& c) -> auto& { return c.web.trusted_proxies; },
                  "Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto headers name the client and "
                  "its scheme; empty: none, the headers are ignored."),
      integer("web", "session_hours", 1, 24 * 30, [](auto& c) -> auto& { return c.web.session_hours; },
              "Hours a web login lasts at most."),
      integer("web", "session_idle_seconds", 5, 24 * 3600, [](auto& c) -> auto& { return c.web.session_idle_seconds; },
              "Seconds without a request after which a web login ends."),
      size("web", "max_body_size", 1024, 64 * 1024 * 1024, [](auto& c) -> auto& { return c.web.max_body_size; },
           "Largest request body the web API accepts; bytes or K/M."),
      integer("web", "request_timeout_seconds", 1, 3600, [](auto& c) -> auto& { return c.web.request_timeout_seconds; },
              "Seconds a client has to send one whole HTTP request."),
      integer("web", "keepalive_seconds", 1, 3600, [](auto& c) -> auto& { return c.web.keepalive_seconds; },
              "Seconds an idle HTTP connection stays open between requests."),
      integer("web", "quota_warning_percent", 1, 100, [](auto& c) -> auto& { return c.web.quota_warning_percent; },
              "The web UI colours a quota bar as a warning from this usage on."),
  };
}

std::vector<Field> all_fields() {
  std::vector<Field> out;
  for (auto part : {server_fields(), listener_fields(), tls_fields(), limits_fields(), auth_fields(),
                    delivery_fields(), outbound_fields(), sieve_fields(), directory_fields(), other_fields(), web_fields()})
    for (auto& f : part) out.push_back(std::move(f));
  return out;
}

}  // namespace

std::string_view describe(Value::Kind kind) {
  switch (kind) {
    case Kind::string: return "a string";
    case Kind::integer: return "an integer";
    case Kind::floating: return "a floating-point number";
    case Kind::boolean: return "a boolean";
    case Kind::array: return "an array";
    case Kind::table: return "a table";
    case Kind::date_time: return "a date or time";
  }
  return "a value";
}

const std::vector<Section>& sections() {
  static const std::vector<Section> list = {
      {"server", "Identity, addresses and process settings."},
      {"listeners", "Port of each service: standard port + port_offset unless set here; 0 disables it."},
      {"tls", "Certificate for STARTTLS and implicit-TLS ports."},
      {"limits", "Resource limits protecting the server from clients."},
      {"auth", "Password logins and the slowdown of repeated failures."},
      {"delivery", "Local delivery into mailboxes."},
      {"outbound", "Delivery of mail to other servers (the queue)."},
      {kRoutesSection, "\"domain\" = \"HOST:PORT\": deliver mail for that domain there instead of by MX lookup."},
      {"smtp", "Inbound SMTP policy."},
      {"dkim", "DKIM signing of outgoing mail."},
      {"srs", "Sender Rewriting Scheme for forwarded mail."},
      {"sieve", "Sieve filtering (RFC 5228) and ManageSieve (RFC 5804)."},
      {"pop3", "POP3 (RFC 1939) behaviour."},
      {"log", "Logging to stderr."},
      {"directory", "Where domains, accounts and aliases live."},
      {"web", "The web admin and JSON API on the http/https ports."},
  };
  return list;
}

const std::vector<Field>& fields() {
  static const std::vector<Field> list = all_fields();
  return list;
}

const Field* find_field(std::string_view section, std::string_view key) {
  for (const auto& f : fields())
    if (f.section == section && f.key == key) return &f;
  return nullptr;
}

bool is_section(std::string_view name) {
  for (const auto& s : sections())
    if (s.name == name) return true;
  return false;
}

std::string read_route(std::string_view domain, const Value& value, Config& c) {
  std::string shown = toml_quote(domain);
  if (value.kind == Kind::table)
    return fmt::format(
        "[{}] {} must be \"HOST:PORT\", not a table (quote a domain that has dots: \"example.com\" = \"HOST:PORT\")",
        kRoutesSection, toml_key(domain));
  if (value.kind != Kind::string)
    return fmt::format("[{}] {} must be a string \"HOST:PORT\", not {}", kRoutesSection, shown, describe(value.kind));
  if (!is_host_name(domain)) return fmt::format("[{}] {} is not a domain name", kRoutesSection, shown);
  if (!parse_host_port(value.text))
    return fmt::format("[{}] {}: {} is not HOST:PORT (IPv6 as [::1]:25)", kRoutesSection, shown, toml_quote(value.text));
  auto [it, added] = c.outbound.routes.emplace(to_lower(domain), value.text);
  if (!added) return fmt::format("[{}] {} is listed twice (domains are case-insensitive)", kRoutesSection, shown);
  return "";
}

}  // namespace kurier::config::schema
