#include "smtp/submission.h"

#include <random>

#include "common/strings.h"
#include "smtp_protocol/headers.h"

namespace kurier::smtp {
namespace {

constexpr int kMaxAliasDepth = 10;

std::string lower(std::string_view s) { return to_lower(std::string(s)); }

bool starts_with_field(std::string_view line, std::string_view name) {
  return line.size() > name.size() && line[name.size()] == ':' && iequals(line.substr(0, name.size()), name);
}

std::string new_message_id(const std::string& hostname) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char buf[40];
  snprintf(buf, sizeof buf, "%016llx.%08llx", static_cast<unsigned long long>(random()),
           static_cast<unsigned long long>(std::chrono::system_clock::now().time_since_epoch().count() & 0xffffffff));
  return "<" + std::string(buf) + "@" + hostname + ">";
}

// A display name as an RFC 5322 quoted-string (control characters dropped).
std::string quoted(std::string_view name) {
  std::string q = "\"";
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) continue;
    if (c == '"' || c == '\\') q.push_back('\\');
    q.push_back(c);
  }
  return q + "\"";
}

}  // namespace

std::optional<std::string> SenderIdentity::canonical(std::string_view address) const {
  if (!login.empty() && iequals(address, login)) return primary;
  if (addresses.count(lower(address))) return std::string(address);
  return std::nullopt;
}

SenderIdentity load_sender_identity(directory::Directory& directory, const directory::Account& account) {
  SenderIdentity id;
  id.login = account.login;
  id.primary = account.address;
  id.display_name = account.display_name;
  id.addresses.insert(lower(account.address));
  auto aliases = directory.list_aliases(std::nullopt);
  // Backwards over alias chains: a source whose targets include an address the account may use
  // is usable too. Each round adds at least one address or stops.
  for (int depth = 0; depth < kMaxAliasDepth; ++depth) {
    bool added = false;
    for (const auto& alias : aliases) {
      if (alias.source.empty() || alias.source.front() == '@') continue;  // catch-alls grant nothing
      std::string source = lower(alias.source);
      if (id.addresses.count(source)) continue;
      for (const auto& target : alias.targets)
        if (id.addresses.count(lower(target))) {
          id.addresses.insert(source);
          added = true;
          break;
        }
    }
    if (!added) break;
  }
  return id;
}

std::string rewrite_login_sender(std::string_view line, const SenderIdentity& identity) {
  constexpr std::string_view kPrefix = "MAIL FROM:<";
  if (identity.login.empty() || identity.login.find('@') != std::string::npos) return std::string(line);
  if (line.size() < kPrefix.size() || !iequals(line.substr(0, kPrefix.size()), kPrefix)) return std::string(line);
  size_t close = line.find('>', kPrefix.size());
  if (close == std::string_view::npos) return std::string(line);
  if (!iequals(line.substr(kPrefix.size(), close - kPrefix.size()), identity.login)) return std::string(line);
  return std::string(line.substr(0, kPrefix.size())) + identity.primary + std::string(line.substr(close));
}

SubmissionHeaderFilter::SubmissionHeaderFilter(const SenderIdentity& identity, std::string hostname,
                                               std::chrono::system_clock::time_point now, int utc_offset_minutes)
    : identity_(identity), hostname_(std::move(hostname)), now_(now), utc_offset_minutes_(utc_offset_minutes) {}

void SubmissionHeaderFilter::write(std::string_view bytes, const Out& out) {
  if (refusal_) return;
  if (released_) return out(bytes);
  header_.append(bytes);
  // RFC 5322 2.1: the header section ends at the first empty line (also when it is the first line).
  size_t end = std::string::npos;
  if (header_.starts_with("\r\n")) end = 2;
  else if (header_.starts_with("\n")) end = 1;
  else {
    size_t from = searched_ > 2 ? searched_ - 2 : 0;
    size_t crlf = header_.find("\n\r\n", from);
    size_t lf = header_.find("\n\n", from);
    if (crlf != std::string::npos && (lf == std::string::npos || crlf < lf)) end = crlf + 3;
    else if (lf != std::string::npos) end = lf + 2;
  }
  searched_ = header_.size();
  if (end == std::string::npos) {
    if (header_.size() > kMaxHeaderBytes) refusal_ = Reply{552, "5.3.4", "Message header section too large"};
    return;
  }
  release(end, out);
}

void SubmissionHeaderFilter::finish(const Out& out) {
  if (!refusal_ && !released_) release(header_.size(), out);
}

void SubmissionHeaderFilter::release(size_t header_end, const Out& out) {
  std::string body = header_.substr(header_end);
  std::string fixed = fixed_header(std::string_view(header_).substr(0, header_end));
  header_.clear();
  header_.shrink_to_fit();
  if (refusal_) return;
  released_ = true;
  out(fixed);
  if (!body.empty()) out(body);
}

std::string SubmissionHeaderFilter::fixed_header(std::string_view header) {
  HeaderSummary summary = scan_headers(header, kMaxHeaderBytes + 1);
  bool rewrite_from = false;
  for (const auto& address : summary.from_addresses) {
    auto use = identity_.canonical(address);
    if (!use) {
      refusal_ = Reply{553, "5.7.1", "From: <" + address + "> is not owned by the authenticated user"};
      return {};
    }
    if (*use != address) rewrite_from = true;
  }
  std::string from_line = "From: " + (identity_.display_name.empty() ? identity_.primary
                                                                     : quoted(identity_.display_name) + " <" + identity_.primary + ">") + "\r\n";
  std::string out;
  out.reserve(header.size() + 200);
  bool in_from = false;
  size_t pos = 0;
  std::string_view blank;
  while (pos < header.size()) {
    size_t nl = header.find('\n', pos);
    size_t next = nl == std::string_view::npos ? header.size() : nl + 1;
    std::string_view line = header.substr(pos, next - pos);
    pos = next;
    if (line == "\r\n" || line == "\n") {  // the empty line that ends the header section
      blank = line;
      break;
    }
    bool continuation = line.front() == ' ' || line.front() == '\t';
    if (!continuation) in_from = starts_with_field(line, "From");
    if (in_from && rewrite_from) {
      if (!continuation) out += from_line;
      continue;
    }
    out += line;
    if (line.back() != '\n') out += "\r\n";  // a header section that ended without a line end
  }
  // RFC 6409 8.1-8.3: a submission server may add From (the authenticated identity), Date and
  // Message-ID when the client left them out.
  if (!summary.has_from) out += from_line;
  if (!summary.has_date) out += "Date: " + format_rfc5322_date(now_, utc_offset_minutes_) + "\r\n";
  if (!summary.has_message_id) out += "Message-ID: " + new_message_id(hostname_) + "\r\n";
  out += blank.empty() ? std::string_view("\r\n") : blank;
  return out;
}

}  // namespace kurier::smtp
