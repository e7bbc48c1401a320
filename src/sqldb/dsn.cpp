// DSN parsing (see dsn.h).
#include "sqldb/dsn.h"

#include <charconv>

namespace kurier::sqldb {
namespace {

[[noreturn]] void bad(const std::string& why) { throw Error(Error::other, "bad database DSN: " + why); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 2.1 percent-decoding; '+' stays '+' (this is not a form).
std::string decode(std::string_view s, std::string_view what) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) bad("a % without two hex digits in the " + std::string(what));
    int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) bad("a % without two hex digits in the " + std::string(what));
    out += char(hi * 16 + lo);
    i += 2;
  }
  return out;
}

template <class T>
T number(std::string_view s, T lo, T hi, std::string_view what) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi)
    bad(std::string(what) + " is not a number in range: " + std::string(s));
  return v;
}

void set_parameter(Dsn& dsn, std::string_view key, const std::string& value) {
  if (key == "sslmode") {
    if (value != "disable" && value != "prefer" && value != "require" && value != "verify-ca" && value != "verify-full")
      bad("sslmode must be disable, prefer, require, verify-ca or verify-full: " + value);
    dsn.sslmode = value;
  } else if (key == "sslrootcert") {
    dsn.sslrootcert = value;
  } else if (key == "sslcert") {
    dsn.sslcert = value;
  } else if (key == "sslkey") {
    dsn.sslkey = value;
  } else if (key == "connect_timeout") {
    dsn.connect_timeout = number<int>(value, 1, 3600, "connect_timeout");
  } else if (key == "pool_size") {
    dsn.pool_size = number<size_t>(value, 1, 1000, "pool_size");
  } else if (key == "socket" || key == "host") {
    dsn.socket = value;
  } else {
    bad("unknown parameter " + std::string(key));
  }
}

void parse_query(Dsn& dsn, std::string_view query) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) bad("parameter without a value: " + std::string(pair));
    set_parameter(dsn, pair.substr(0, eq), decode(pair.substr(eq + 1), "parameter value"));
  }
}

void parse_host_port(Dsn& dsn, std::string_view hostport) {
  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {  // [IPv6]:port
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) bad("unclosed [ in the host");
    dsn.host = std::string(hostport.substr(1, close - 1));
    std::string_view rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') bad("junk after the IPv6 address");
      port = rest.substr(1);
    }
  } else {
    size_t colon = hostport.rfind(':');
    dsn.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) port = hostport.substr(colon + 1);
  }
  if (!port.empty()) dsn.port = number<uint16_t>(port, 1, 65535, "the port");
}

}  // namespace

Dsn parse_dsn(std::string_view text) {
  Dsn dsn;
  size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) bad("expected mariadb://… or postgresql://…");
  std::string_view scheme = text.substr(0, scheme_end);
  if (scheme == "mariadb" || scheme == "mysql") {
    dsn.dialect = Dialect::mariadb;
  } else if (scheme == "postgresql" || scheme == "postgres") {
    dsn.dialect = Dialect::postgresql;
  } else {
    bad("unknown scheme " + std::string(scheme) + " (mariadb, mysql, postgresql, postgres)");
  }
  std::string_view rest = text.substr(scheme_end + 3);
  size_t question = rest.find('?');
  std::string_view query = question == std::string_view::npos ? std::string_view() : rest.substr(question + 1);
  rest = rest.substr(0, question);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) bad("no /DATABASE");
  std::string_view authority = rest.substr(0, slash);
  dsn.database = decode(rest.substr(slash + 1), "database");
  if (dsn.database.empty()) bad("no database name");
  // The password may hold '@' percent-encoded only, so the last '@' ends the user information.
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    size_t colon = userinfo.find(':');
    dsn.user = decode(userinfo.substr(0, colon), "user");
    if (colon != std::string_view::npos) dsn.password = decode(userinfo.substr(colon + 1), "password");
    authority = authority.substr(at + 1);
  }
  parse_host_port(dsn, authority);
  parse_query(dsn, query);
  if (dsn.port == 0) dsn.port = dsn.dialect == Dialect::mariadb ? 3306 : 5432;
  return dsn;
}

std::string redacted(const Dsn& dsn) {
  std::string out = dsn.dialect == Dialect::mariadb ? "mariadb://" : "postgresql://";
  if (!dsn.user.empty()) out += dsn.user + (dsn.password.empty() ? "@" : ":***@");
  out += dsn.host.find(':') != std::string::npos ? "[" + dsn.host + "]" : dsn.host;
  out += ":" + std::to_string(dsn.port) + "/" + dsn.database;
  if (!dsn.sslmode.empty()) out += "?sslmode=" + dsn.sslmode;
  return out;
}

}  // namespace kurier::sqldb
