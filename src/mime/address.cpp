// RFC 5322 3.4 address-list parsing (with obsolete forms of 4.4) for ENVELOPE; see envelope.h.
#include "common/strings.h"
#include "mime/envelope.h"
#include "mime/header.h"
#include "mime/quoted_string.h"

namespace kurier::mime {
namespace {

constexpr size_t kMaxAddresses = 10000;
constexpr std::string_view kMissingMailbox = "MISSING_MAILBOX";
constexpr std::string_view kMissingDomain = "MISSING_DOMAIN";

// RFC 5322 3.2.3 atext, plus '.' (obs-phrase, dot-atom) and 8-bit bytes (RFC 6532).
bool is_atom_char(char c) {
  unsigned char u = (unsigned char)c;
  if (u >= 0x80) return true;
  if (u <= 32 || u == 127) return false;
  return std::string_view("()<>[]:;@\\,\"").find(c) == std::string_view::npos;
}

class AddressParser {
 public:
  explicit AddressParser(std::string_view s) : s_(s) {}

  std::vector<Address> parse_list() {
    while (!done() && out_.size() < kMaxAddresses) {
      skip_cfws();
      if (done()) break;
      size_t before = pos_;
      if (peek() != ',') parse_address();
      skip_cfws();
      if (peek() == ',' || pos_ == before) ++pos_;
      else if (!done()) skip_to_comma();  // trailing garbage after an address
    }
    return std::move(out_);
  }

 private:
  bool done() const { return pos_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[pos_]; }

  void skip_to_comma() {
    while (!done() && s_[pos_] != ',') ++pos_;
  }

  // Skips blanks and comments, remembering the text of the last comment (RFC 5322 3.2.2).
  void skip_cfws() {
    while (!done()) {
      char c = s_[pos_];
      if (c == '(') last_comment_ = comment();
      else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') ++pos_;
      else return;
    }
  }

  std::string comment() {
    std::string text;
    int depth = 0;
    while (!done()) {
      char c = s_[pos_++];
      if (c == '\\' && !done()) {
        text += s_[pos_++];
      } else if (c == '(') {
        if (depth++ > 0) text += c;
      } else if (c == ')') {
        if (--depth == 0) break;
        text += c;
      } else {
        text += c;
      }
    }
    return std::string(trim(text));
  }

  std::string quoted() { return detail::read_quoted_string(s_, pos_); }

  std::string atom() {
    size_t b = pos_;
    while (!done() && is_atom_char(s_[pos_])) ++pos_;
    return std::string(s_.substr(b, pos_ - b));
  }

  // A word (atom or quoted-string), or nullopt when none starts here.
  std::optional<std::string> word() {
    skip_cfws();
    if (peek() == '"') return quoted();
    if (!is_atom_char(peek())) return std::nullopt;
    return atom();
  }

  // RFC 5322 3.2.5 phrase (obs-phrase allows '.'): words joined by single spaces.
  std::string phrase() {
    std::string out;
    while (auto w = word()) {
      if (!out.empty()) out += ' ';
      out += *w;
    }
    return out;
  }

  // local-part = dot-atom / quoted-string / obs-local-part (word *("." word)).
  std::string local_part() {
    std::string out;
    while (auto w = word()) {
      out += *w;
      skip_cfws();
      if (peek() != '.') break;
      out += '.';
      ++pos_;
    }
    return out;
  }

  std::string domain() {
    skip_cfws();
    std::string out;
    if (peek() == '[') {
      size_t close = s_.find(']', pos_);
      size_t end = close == std::string_view::npos ? s_.size() : close + 1;
      out = std::string(s_.substr(pos_, end - pos_));
      pos_ = end;
    } else {
      out = atom();
    }
    skip_cfws();
    return out;
  }

  // Fills mailbox and host from local-part ["@" domain].
  void addr_spec(Address& a) {
    std::string local = local_part();
    std::string host;
    skip_cfws();
    if (peek() == '@') {
      ++pos_;
      host = domain();
    }
    a.mailbox = local.empty() ? std::string(kMissingMailbox) : local;
    a.host = host.empty() ? std::string(kMissingDomain) : host;
  }

  // obs-route = obs-domain-list ":"; obs-domain-list = "@" domain *("," ["@" domain]).
  std::optional<std::string> route() {
    skip_cfws();
    if (peek() != '@') return std::nullopt;
    std::string out;
    while (peek() == '@' || peek() == ',') {
      if (s_[pos_++] == ',') { skip_cfws(); continue; }
      if (!out.empty()) out += ',';
      out += '@' + domain();
    }
    if (peek() == ':') ++pos_;
    return out;
  }

  void angle_addr(Address& a) {
    ++pos_;  // '<'
    a.adl = route();
    addr_spec(a);
    while (!done() && s_[pos_] != '>' && s_[pos_] != ',') ++pos_;
    if (peek() == '>') ++pos_;
  }

  void mailbox() {
    size_t start = pos_;
    Address a;
    std::string name = phrase();
    skip_cfws();
    if (peek() == '<') {
      if (!name.empty()) a.name = name;
      angle_addr(a);
    } else {
      pos_ = start;
      last_comment_.clear();
      addr_spec(a);
      if (!last_comment_.empty()) a.name = last_comment_;
    }
    out_.push_back(std::move(a));
  }

  // group = display-name ":" [group-list] ";"; a missing ';' ends at the end of input.
  void group(std::string name) {
    ++pos_;  // ':'
    out_.push_back({std::nullopt, std::nullopt, std::move(name), std::nullopt});
    while (!done() && out_.size() < kMaxAddresses) {
      skip_cfws();
      if (peek() == ';') { ++pos_; break; }
      size_t before = pos_;
      if (peek() != ',') mailbox();
      skip_cfws();
      if (peek() == ',' || pos_ == before) ++pos_;
    }
    out_.push_back({});
  }

  void parse_address() {
    size_t start = pos_;
    std::string name = phrase();
    skip_cfws();
    if (peek() == ':' && !name.empty()) return group(std::move(name));
    pos_ = start;
    mailbox();
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string last_comment_;
  std::vector<Address> out_;
};

}  // namespace

std::vector<Address> parse_address_list(std::string_view value) {
  return AddressParser(value).parse_list();
}

std::string address_list_text(std::string_view value) {
  std::string out;
  bool group_opened = false;  // the next address follows "name:" with a space, not ", "
  for (const Address& a : parse_address_list(value)) {
    if (!a.host) {  // group start {NIL NIL name NIL} or group end {NIL NIL NIL NIL}
      if (a.mailbox) {
        if (!out.empty()) out += ", ";
        out += decode_encoded_words(*a.mailbox) + ":";
        group_opened = true;
      } else {
        out += ';';
        group_opened = false;
      }
      continue;
    }
    std::string text = a.name ? decode_encoded_words(*a.name) : std::string();
    std::string local = a.mailbox && *a.mailbox != kMissingMailbox ? *a.mailbox : std::string();
    std::string host = *a.host != kMissingDomain ? *a.host : std::string();
    std::string spec = host.empty() ? local : local + "@" + host;
    if (!spec.empty()) text += text.empty() ? "<" + spec + ">" : " <" + spec + ">";
    if (group_opened) out += ' ';
    else if (!out.empty()) out += ", ";
    group_opened = false;
    out += text;
  }
  return out;
}

}  // namespace kurier::mime
