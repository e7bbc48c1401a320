// Defaults and small lookups of kurier's settings: the standard ports of each service, the
// derived default paths, and where the configuration file lives.
#include "config/config.h"

#include <cstdlib>

#include "config/schema.h"

namespace kurier::config {

namespace schema {

const std::vector<Service>& services() {
  static const std::vector<Service> list = {
      {"smtp", 25, "inbound mail from other servers (MX)"},                  // RFC 5321
      {"submissions", 465, "mail submission over implicit TLS, AUTH required"},  // RFC 8314
      {"submission", 587, "mail submission with STARTTLS, AUTH required"},   // RFC 6409
      {"lmtp", 24, "local delivery from other programs (LMTP over TCP)"},    // RFC 2033
      {"imap", 143, "IMAP with STARTTLS"},                                   // RFC 9051
      {"imaps", 993, "IMAP over implicit TLS"},                              // RFC 8314
      {"pop3", 110, "POP3 with STLS"},                                       // RFC 1939, 2595
      {"pop3s", 995, "POP3 over implicit TLS"},                              // RFC 8314
      {"managesieve", 4190, "Sieve script management"},                      // RFC 5804
      {"http", 80, "web admin and JSON API"},
      {"https", 443, "web admin and JSON API over TLS"},
  };
  return list;
}

std::filesystem::path resolve_path(const std::filesystem::path& base, const std::filesystem::path& p) {
  std::filesystem::path out = (p.is_absolute() ? p : base / p).lexically_normal();
  if (!out.has_filename() && out.has_relative_path()) out = out.parent_path();  // "/a/b/" -> "/a/b"
  return out;
}

}  // namespace schema

std::map<std::string, uint16_t> standard_ports() {
  std::map<std::string, uint16_t> ports;
  for (const auto& s : schema::services()) ports.emplace(s.name, s.port);
  return ports;
}

const std::vector<std::string>& standard_listener_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& s : schema::services()) out.emplace_back(s.name);
    return out;
  }();
  return names;
}

const Listener* Config::listener(std::string_view name) const {
  for (const auto& l : listeners)
    if (l.name == name) return &l;
  return nullptr;
}

Config defaults(std::string hostname, std::filesystem::path data_dir, int port_offset) {
  Config c;
  c.hostname = std::move(hostname);
  c.data_dir = schema::resolve_path(std::filesystem::current_path(), data_dir);  // "" = current folder
  c.file = c.data_dir / "kurier.toml";
  c.port_offset = port_offset;
  c.lmtp_socket = (c.data_dir / "lmtp.sock").string();
  c.tls.certificate = c.data_dir / "tls" / "cert.pem";
  c.tls.key = c.data_dir / "tls" / "key.pem";
  for (const auto& s : schema::services()) {
    int port = int(s.port) + port_offset;
    bool fits = port >= 1 && port <= 65535;  // load() rejects an offset that does not fit
    c.listeners.push_back({std::string(s.name), fits ? uint16_t(port) : uint16_t(0), fits});
  }
  return c;
}

std::filesystem::path default_config_path() {
  const char* env = std::getenv("KURIER_CONFIG");
  if (env && *env) return env;
  return "/etc/kurier/kurier.toml";
}

}  // namespace kurier::config
