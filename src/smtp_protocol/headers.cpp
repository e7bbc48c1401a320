#include "smtp_protocol/headers.h"

#include <cstdio>

#include "common/strings.h"
#include "smtp_protocol/syntax.h"

namespace kurier::smtp {

namespace {

constexpr size_t kMaxHeloInReceived = 255;

struct CivilDate {
  int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days).
CivilDate civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{static_cast<int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

constexpr std::string_view kTraceForbidden = "()[];<>\\\"";

// Printable ASCII (and with allow_utf8 well-formed UTF-8) minus what would let a client-chosen
// name fake structure in a trace field.
std::string sanitize_trace_text(std::string_view s, bool allow_space = false, bool allow_utf8 = false) {
  std::string out;
  s = s.substr(0, kMaxHeloInReceived);
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    size_t n = allow_utf8 && is_non_ascii(c) ? utf8_sequence_length(s, i) : 0;
    if (n > 0) {
      out.append(s.substr(i, n));
      i += n - 1;
      continue;
    }
    bool bad = c < ' ' || c > '~' || (c == ' ' && !allow_space) || kTraceForbidden.find(c) != std::string_view::npos;
    out.push_back(bad ? '?' : c);
  }
  return out.empty() ? "unknown" : out;
}

// HELO may legitimately be an address literal; keep its brackets then.
std::string helo_text(std::string_view helo) {
  if (helo.size() > 2 && helo.front() == '[' && helo.back() == ']')
    return "[" + sanitize_trace_text(helo.substr(1, helo.size() - 2)) + "]";
  return sanitize_trace_text(helo);
}

std::string ip_literal(std::string_view ip) {
  std::string clean = sanitize_trace_text(ip);
  // RFC 5321 4.1.3: IPv6 address literals carry the "IPv6:" tag.
  return clean.find(':') != std::string::npos ? "[IPv6:" + clean + "]" : "[" + clean + "]";
}

}  // namespace

std::string format_rfc5322_date(std::chrono::system_clock::time_point when, int utc_offset_minutes) {
  static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
  seconds += int64_t(utc_offset_minutes) * 60;
  int64_t days = floor_div(seconds, 86400);
  int64_t second_of_day = seconds - days * 86400;
  CivilDate date = civil_from_days(days);
  int offset = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %u %s %lld %02d:%02d:%02d %c%02d%02d",
                kDays[((days % 7) + 7) % 7], date.day, kMonths[date.month - 1],
                static_cast<long long>(date.year), int(second_of_day / 3600), int(second_of_day / 60 % 60),
                int(second_of_day % 60), utc_offset_minutes < 0 ? '-' : '+', offset / 60 % 100, offset % 60);
  return buf;
}

std::string received_protocol(bool lmtp, bool esmtp, bool tls, bool authenticated, bool smtputf8) {
  if (!lmtp && !esmtp) return "SMTP";  // RFC 3848 defines the suffixes for ESMTP and LMTP only
  std::string out = smtputf8 ? (lmtp ? "UTF8LMTP" : "UTF8SMTP") : (lmtp ? "LMTP" : "ESMTP");
  if (tls) out += "S";
  if (authenticated) out += "A";
  return out;
}

// RFC 5321 4.4: Stamp = From-domain By-domain Opt-info [CFWS] ";" FWS date-time, where
// From-domain = "FROM" FWS Extended-Domain and TCP-info = address-literal / (Domain FWS address-literal).
std::string build_received(const ReceivedInfo& info) {
  std::string rdns = info.reverse_dns.empty() ? "unknown" : sanitize_trace_text(info.reverse_dns);
  std::string out = "Received: from " + helo_text(info.helo) + " (" + rdns + " " + ip_literal(info.ip) + ")\r\n";
  if (!info.tls_details.empty()) out += "\t(" + sanitize_trace_text(info.tls_details, true) + ")\r\n";
  out += "\tby " + sanitize_trace_text(info.by_host);
  out += " with " + received_protocol(info.lmtp, info.esmtp, info.tls, info.authenticated, info.smtputf8);
  if (!info.id.empty()) out += " id " + sanitize_trace_text(info.id);
  if (!info.recipient.empty())
    out += "\r\n\tfor <" + sanitize_trace_text(info.recipient, false, info.smtputf8) + ">";
  out += "; " + format_rfc5322_date(info.time, info.utc_offset_minutes) + "\r\n";
  return out;
}

// ---------------------------------------------------------------- header scanning

namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// Removes RFC 5322 3.2.2 comments (nested, with quoted-pairs) outside quoted strings.
std::string strip_comments(std::string_view s) {
  std::string out;
  int depth = 0;
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size() && (quoted || depth > 0)) {
      if (depth == 0) out.append(s.substr(i, 2));
      ++i;
    } else if (depth > 0) {
      depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    } else if (c == '"') {
      quoted = !quoted;
      out.push_back(c);
    } else if (c == '(' && !quoted) {
      depth = 1;
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Splits at commas (and group-ending ";") outside quoted strings and angle brackets.
std::vector<std::string_view> split_address_list(std::string_view s) {
  std::vector<std::string_view> items;
  bool quoted = false;
  bool angle = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && quoted) {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && c == '<') {
      angle = true;
    } else if (!quoted && c == '>') {
      angle = false;
    } else if (!quoted && !angle && (c == ',' || c == ';')) {
      items.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  items.push_back(s.substr(start));
  return items;
}

// Position of `target` outside quoted strings, or npos.
size_t find_unquoted(std::string_view s, char target) {
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && quoted) ++i;
    else if (s[i] == '"') quoted = !quoted;
    else if (s[i] == target && !quoted) return i;
  }
  return std::string_view::npos;
}

// Removes folding white space outside quoted strings (RFC 5322 4.4 obs-local-part/obs-domain).
std::string remove_unquoted_space(std::string_view s) {
  std::string out;
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && quoted && i + 1 < s.size()) {
      out.append(s.substr(i++, 2));
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (!quoted && (is_wsp(c) || c == '\r' || c == '\n')) continue;
    out.push_back(c);
  }
  return out;
}

std::string addr_spec_of(std::string_view item) {
  size_t angle = find_unquoted(item, '<');
  if (angle != std::string_view::npos) {
    std::string_view inside = item.substr(angle + 1);
    inside = inside.substr(0, inside.find('>'));
    // RFC 5322 4.4 obs-route: "@a,@b:" before the addr-spec.
    if (!inside.empty() && inside.front() == '@' && inside.find(':') != std::string_view::npos)
      inside.remove_prefix(inside.find(':') + 1);
    return remove_unquoted_space(inside);
  }
  // A group's display name ends at ":" (RFC 5322 3.4 group = display-name ":" [group-list] ";").
  size_t colon = find_unquoted(item, ':');
  if (colon != std::string_view::npos) item.remove_prefix(colon + 1);
  return remove_unquoted_space(item);
}

}  // namespace

std::vector<std::string> extract_addresses(std::string_view value, size_t max_addresses) {
  std::vector<std::string> addresses;
  std::string clean = strip_comments(value);
  for (std::string_view item : split_address_list(clean)) {
    if (addresses.size() >= max_addresses) break;
    std::string addr = addr_spec_of(item);
    if (!addr.empty()) addresses.push_back(std::move(addr));
  }
  return addresses;
}

size_t HeaderScanner::feed(std::string_view chunk) {
  size_t used = 0;
  while (used < chunk.size() && !done_) {
    size_t newline = chunk.find('\n', used);
    size_t take = (newline == std::string_view::npos ? chunk.size() : newline + 1) - used;
    if (summary_.header_bytes + line_.size() + take > max_) {
      summary_.too_large = true;
      stop(false);
      break;
    }
    line_.append(chunk.substr(used, take));
    used += take;
    if (line_.back() != '\n') break;
    std::string line = std::move(line_);
    line_.clear();
    size_t line_bytes = line.size();
    line.pop_back();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!on_line(line, line_bytes)) used -= line_bytes;
  }
  return used;
}

bool HeaderScanner::on_line(std::string_view line, size_t line_bytes) {
  if (line.empty()) {
    summary_.header_bytes += line_bytes;
    stop(true);
    return true;
  }
  if (is_wsp(line.front())) {  // RFC 5322 2.2.3 folding: the line continues the field
    if (field_.empty()) summary_.malformed = true;
    field_.append(line);
    summary_.header_bytes += line_bytes;
    return true;
  }
  if (line.find(':') == std::string_view::npos) {
    // Neither field nor continuation: treat it as the first body line (as Postfix's cleanup does).
    summary_.malformed = true;
    stop(true);
    return false;
  }
  finish_field();
  field_.assign(line);
  summary_.header_bytes += line_bytes;
  return true;
}

void HeaderScanner::finish_field() {
  if (field_.empty()) return;
  size_t colon = field_.find(':');
  std::string_view name = trim(std::string_view(field_).substr(0, colon));
  std::string_view value = std::string_view(field_).substr(colon + 1);
  if (iequals(name, "Message-ID")) {
    summary_.has_message_id = true;
  } else if (iequals(name, "Date")) {
    summary_.has_date = true;
  } else if (iequals(name, "From")) {
    summary_.has_from = true;
    ++summary_.from_fields;
    size_t room = kMaxFromAddresses - summary_.from_addresses.size();
    for (std::string& addr : extract_addresses(value, room)) summary_.from_addresses.push_back(std::move(addr));
  }
  field_.clear();
}

void HeaderScanner::stop(bool complete) {
  finish_field();
  summary_.complete = complete;
  line_.clear();
  done_ = true;
}

void HeaderScanner::finish() {
  if (done_) return;
  if (!line_.empty()) {
    std::string line = std::move(line_);
    line_.clear();
    size_t line_bytes = line.size();
    if (line.back() == '\r') line.pop_back();
    on_line(line, line_bytes);
    if (done_) return;
  }
  stop(true);
}

HeaderSummary scan_headers(std::string_view message, size_t max_header_bytes) {
  HeaderScanner scanner(max_header_bytes);
  scanner.feed(message);
  scanner.finish();
  return scanner.summary();
}

}  // namespace kurier::smtp
