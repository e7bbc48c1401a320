#include "smtp_protocol/command.h"

#include <array>
#include <vector>

#include "common/strings.h"
#include "common/xtext.h"
#include "smtp_protocol/syntax.h"

namespace kurier::smtp {

namespace {

constexpr size_t kMaxPath = 256;        // RFC 5321 4.5.3.1.3, angle brackets included
constexpr size_t kMaxEnvid = 100;       // RFC 3461 4.4
constexpr size_t kMaxOrcpt = 500;       // RFC 3461 4.2
constexpr size_t kMaxSaslMechName = 20; // RFC 4422 3.1

struct VerbEntry {
  std::string_view name;
  Verb verb;
};

constexpr std::array<VerbEntry, 15> kVerbs{{
    {"HELO", Verb::Helo}, {"EHLO", Verb::Ehlo}, {"LHLO", Verb::Lhlo}, {"MAIL", Verb::Mail},
    {"RCPT", Verb::Rcpt}, {"DATA", Verb::Data}, {"BDAT", Verb::Bdat}, {"RSET", Verb::Rset},
    {"NOOP", Verb::Noop}, {"QUIT", Verb::Quit}, {"VRFY", Verb::Vrfy}, {"EXPN", Verb::Expn},
    {"HELP", Verb::Help}, {"STARTTLS", Verb::StartTls}, {"AUTH", Verb::Auth},
}};

ParseResult fail(int code, std::string_view enhanced, std::string text) {
  return ParseResult{std::nullopt, Reply{code, std::string(enhanced), std::move(text)}};
}
ParseResult syntax_error(std::string text) { return fail(501, "5.5.4", std::move(text)); }
ParseResult bad_value(std::string_view keyword) {
  return syntax_error("Bad " + std::string(keyword) + " value");
}
ParseResult unsupported(std::string_view keyword) {
  return fail(555, "5.5.4", "Unsupported parameter: " + std::string(keyword));
}
ParseResult ok(Command command) { return ParseResult{std::move(command), {}}; }

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view skip_spaces(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

// Cuts the next whitespace-delimited word off `rest`.
std::string_view next_word(std::string_view& rest) {
  rest = skip_spaces(rest);
  size_t end = 0;
  while (end < rest.size() && !is_space(rest[end])) ++end;
  std::string_view word = rest.substr(0, end);
  rest = skip_spaces(rest.substr(end));
  return word;
}

std::optional<Verb> lookup_verb(std::string_view word) {
  for (const auto& entry : kVerbs)
    if (iequals(word, entry.name)) return entry.verb;
  return std::nullopt;
}

size_t max_line_for(Verb verb) {
  switch (verb) {
    case Verb::Mail: return kMaxMailLine;
    case Verb::Rcpt: return kMaxRcptLine;
    case Verb::Auth: return kMaxAuthLine;
    default: return kMaxCommandLine;
  }
}

bool has_control_characters(std::string_view line) {
  for (char c : line)
    if ((static_cast<unsigned char>(c) < 32 && c != '\t') || c == 127) return true;
  return false;
}

// ---------------------------------------------------------------- paths (RFC 5321 4.1.2)

enum class PathStatus { Ok, BadSyntax, TooLong, Utf8NotAllowed };

struct PathText {
  std::string_view inner;  // between the angle brackets
  size_t length = 0;       // with angle brackets
};

// Cuts "<...>" off the front of `rest`, honouring quoted local parts. Tolerated as Postfix does:
// a path without angle brackets, taken up to the next space.
std::optional<PathText> cut_path(std::string_view& rest) {
  if (rest.empty() || rest.front() != '<') {
    std::string_view word = next_word(rest);
    if (word.empty()) return std::nullopt;
    return PathText{word, word.size() + 2};
  }
  bool quoted = false;
  for (size_t i = 1; i < rest.size(); ++i) {
    char c = rest[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == '>' && !quoted) {
      PathText path{rest.substr(1, i - 1), i + 1};
      std::string_view after = rest.substr(i + 1);
      if (!after.empty() && !is_space(after.front())) return std::nullopt;  // "<a@b>junk"
      rest = skip_spaces(after);
      return path;
    }
  }
  return std::nullopt;
}

// A-d-l = At-domain *( "," At-domain ); At-domain = "@" Domain. Accepted and ignored
// (RFC 5321 4.1.1.3 and Appendix C: servers SHOULD ignore source routes).
bool skip_source_route(std::string_view& inner, bool allow_utf8) {
  if (inner.empty() || inner.front() != '@') return true;
  size_t colon = inner.find(':');
  if (colon == std::string_view::npos) return false;
  for (std::string_view hop : split(inner.substr(0, colon), ',')) {
    if (hop.size() < 2 || hop.front() != '@' || !is_domain(hop.substr(1), allow_utf8)) return false;
  }
  inner.remove_prefix(colon + 1);
  return true;
}

struct ParsedPath {
  PathStatus status = PathStatus::BadSyntax;
  bool null_path = false;
  bool postmaster = false;
  std::optional<Address> mailbox;
};

ParsedPath parse_path(PathText text, bool allow_utf8) {
  ParsedPath result;
  if (text.length > kMaxPath) {
    result.status = PathStatus::TooLong;
    return result;
  }
  std::string_view inner = text.inner;
  if (inner.empty()) {
    result.status = PathStatus::Ok;
    result.null_path = true;
    return result;
  }
  if (!skip_source_route(inner, true)) return result;  // route domains: ignored, so UTF-8 tolerated
  if (iequals(inner, "postmaster")) {
    result.status = PathStatus::Ok;
    result.postmaster = true;
    return result;
  }
  result.mailbox = Address::parse(inner, allow_utf8);
  if (result.mailbox) {
    result.status = PathStatus::Ok;
  } else if (!allow_utf8 && has_non_ascii(inner) && Address::parse(inner, true)) {
    // RFC 6531 3.5: a UTF-8 address without SMTPUTF8 is refused with X.6.7.
    result.status = PathStatus::Utf8NotAllowed;
  }
  return result;
}

// ---------------------------------------------------------------- ESMTP parameters

struct Param {
  std::string keyword;  // upper-cased
  std::optional<std::string_view> value;
};

// RFC 5321 4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
bool is_esmtp_keyword(std::string_view s) {
  if (s.empty() || s.front() == '-') return false;
  for (char c : s)
    if (!is_alpha(c) && !is_digit(c) && c != '-') return false;
  return true;
}

// esmtp-value = 1*(%d33-60 / %d62-126); RFC 6531 3.3 adds UTF8-non-ascii.
bool is_esmtp_value(std::string_view s, bool allow_utf8) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c >= 33 && c <= 126 && c != '=') {
      ++i;
      continue;
    }
    size_t n = allow_utf8 && is_non_ascii(c) ? utf8_sequence_length(s, i) : 0;
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// Splits the parameter words; refuses malformed ones and repeated keywords (RFC 5321 4.1.2).
std::optional<ParseResult> split_params(std::string_view rest, bool allow_utf8, std::vector<Param>& out) {
  while (!rest.empty()) {
    std::string_view word = next_word(rest);
    size_t eq = word.find('=');
    std::string_view keyword = word.substr(0, eq);
    if (!is_esmtp_keyword(keyword)) return syntax_error("Syntax error in parameters");
    Param param{to_upper(keyword), std::nullopt};
    if (eq != std::string_view::npos) {
      param.value = word.substr(eq + 1);
      if (!is_esmtp_value(*param.value, allow_utf8)) return bad_value(param.keyword);
    }
    for (const Param& seen : out)
      if (seen.keyword == param.keyword) return syntax_error("Duplicate parameter: " + param.keyword);
    out.push_back(std::move(param));
  }
  return std::nullopt;
}

bool is_printable_ascii(std::string_view s) {
  for (char c : s)
    if (c < 32 || c > 126) return false;
  return true;
}

std::optional<ParseResult> apply_mail_param(const Param& p, bool smtputf8_offered, MailParams& mail) {
  const std::string& k = p.keyword;
  if (k == "SMTPUTF8") {
    if (!smtputf8_offered) return unsupported(k);
    if (p.value) return syntax_error("SMTPUTF8 takes no value");
    mail.smtputf8 = true;
    return std::nullopt;
  }
  if (k != "SIZE" && k != "BODY" && k != "RET" && k != "ENVID" && k != "AUTH") return unsupported(k);
  if (!p.value) return bad_value(k);
  std::string_view v = *p.value;
  if (k == "SIZE") {
    mail.size = parse_uint(v);  // RFC 1870 6: size-value = 1*20DIGIT
    if (!mail.size) return bad_value(k);
  } else if (k == "BODY") {
    if (iequals(v, "7BIT")) mail.body = BodyType::SevenBit;
    else if (iequals(v, "8BITMIME")) mail.body = BodyType::EightBitMime;
    else if (iequals(v, "BINARYMIME")) mail.body = BodyType::BinaryMime;
    else return bad_value(k);
  } else if (k == "RET") {
    if (iequals(v, "FULL")) mail.ret = DsnReturn::Full;
    else if (iequals(v, "HDRS")) mail.ret = DsnReturn::Headers;
    else return bad_value(k);
  } else if (k == "ENVID") {
    // RFC 3461 4.4: printable US-ASCII, at most 100 characters once decoded.
    auto decoded = decode_xtext(v);
    if (!decoded || decoded->empty() || decoded->size() > kMaxEnvid || !is_printable_ascii(*decoded))
      return bad_value(k);
    mail.envid = std::move(*decoded);
  } else {  // AUTH, checked once SMTPUTF8 is known
    auto decoded = decode_xtext(v);
    if (!decoded) return bad_value(k);
    mail.auth = std::move(*decoded);
  }
  return std::nullopt;
}

// RFC 4954 5: AUTH=<> or AUTH=addr-spec (xtext-encoded).
bool is_valid_auth_param(const std::string& decoded, bool allow_utf8) {
  return decoded == "<>" || Address::parse(decoded, allow_utf8).has_value();
}

std::optional<unsigned> parse_notify(std::string_view v) {
  unsigned flags = 0;
  for (std::string_view item : split(v, ',')) {
    if (iequals(item, "NEVER")) flags |= kNotifyNever;
    else if (iequals(item, "SUCCESS")) flags |= kNotifySuccess;
    else if (iequals(item, "FAILURE")) flags |= kNotifyFailure;
    else if (iequals(item, "DELAY")) flags |= kNotifyDelay;
    else return std::nullopt;
  }
  // RFC 3461 4.1: NEVER must appear alone.
  if ((flags & kNotifyNever) && flags != kNotifyNever) return std::nullopt;
  return flags;
}

// RFC 6533 3: utf-8-addr-xtext / utf-8-addr-unitext, where "\x{HEXPOINT}" stands for a code
// point; "+XX" xtext escapes are tolerated too.
std::optional<std::string> decode_utf8_addr_xtext(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s.substr(i, 3) == "\\x{") {
      size_t close = s.find('}', i + 3);
      std::string_view hex = close == std::string_view::npos ? "" : s.substr(i + 3, close - i - 3);
      if (hex.empty() || hex.size() > 6) return std::nullopt;
      uint32_t cp = 0;
      for (char c : hex) {
        int d = is_digit(c) ? c - '0' : (ascii_upper(c) >= 'A' && ascii_upper(c) <= 'F') ? ascii_upper(c) - 'A' + 10 : -1;
        if (d < 0) return std::nullopt;
        cp = cp * 16 + uint32_t(d);
      }
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
      append_utf8(out, cp);
      i = close + 1;
    } else if (s[i] == '+') {
      auto byte = decode_xtext(s.substr(i, 3));
      if (!byte) return std::nullopt;
      out += *byte;
      i += 3;
    } else if (s[i] == '\\') {
      return std::nullopt;
    } else {
      size_t n = utf8_sequence_length(s, i);
      if (n == 0) return std::nullopt;
      out.append(s.substr(i, n));
      i += n;
    }
  }
  if (!is_valid_utf8(out)) return std::nullopt;
  return out;
}

// RFC 3461 4.2: ORCPT=addr-type ";" xtext
std::optional<OriginalRecipient> parse_orcpt(std::string_view v) {
  size_t semi = v.find(';');
  if (semi == std::string_view::npos || semi == 0) return std::nullopt;
  std::string_view type = v.substr(0, semi);
  for (char c : type)
    if (!is_atext(c)) return std::nullopt;
  std::string_view encoded = v.substr(semi + 1);
  auto decoded = iequals(type, "utf-8") ? decode_utf8_addr_xtext(encoded) : decode_xtext(encoded);
  if (!decoded || decoded->empty() || decoded->size() > kMaxOrcpt) return std::nullopt;
  return OriginalRecipient{std::string(type), std::move(*decoded)};
}

std::optional<ParseResult> apply_rcpt_param(const Param& p, RcptParams& rcpt) {
  const std::string& k = p.keyword;
  if (k != "NOTIFY" && k != "ORCPT") return unsupported(k);
  if (!p.value) return bad_value(k);
  if (k == "NOTIFY") {
    auto flags = parse_notify(*p.value);
    if (!flags) return bad_value(k);
    rcpt.notify = *flags;
  } else {
    rcpt.orcpt = parse_orcpt(*p.value);
    if (!rcpt.orcpt) return bad_value(k);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- commands

ParseResult parse_helo(Verb verb, std::string_view rest) {
  std::string_view name = trim(rest);
  if (name.empty()) return syntax_error("Syntax: " + std::string(verb_name(verb)) + " hostname");
  Command command;
  command.verb = verb;
  command.argument = std::string(name);
  command.helo_is_valid = is_domain(name, false) || is_address_literal(name);
  return ok(std::move(command));
}

// Cuts "FROM:" / "TO:" off `rest`; a space after the colon is tolerated as Postfix does.
bool cut_keyword(std::string_view& rest, std::string_view keyword) {
  if (!istarts_with(rest, keyword)) return false;
  rest = skip_spaces(rest.substr(keyword.size()));
  return true;
}

ParseResult parse_mail(std::string_view rest, bool smtputf8_offered) {
  if (!cut_keyword(rest, "FROM:")) return syntax_error("Syntax: MAIL FROM:<address>");
  auto path_text = cut_path(rest);
  if (!path_text) return fail(501, "5.1.7", "Bad sender address syntax");
  std::vector<Param> params;
  if (auto error = split_params(rest, smtputf8_offered, params)) return std::move(*error);
  Command command;
  command.verb = Verb::Mail;
  for (const Param& p : params)
    if (auto error = apply_mail_param(p, smtputf8_offered, command.mail)) return std::move(*error);
  bool utf8 = command.mail.smtputf8;
  if (command.mail.auth && !is_valid_auth_param(*command.mail.auth, utf8)) return bad_value("AUTH");
  ParsedPath path = parse_path(*path_text, utf8);
  switch (path.status) {
    case PathStatus::TooLong: return fail(501, "5.1.7", "Sender address too long");
    case PathStatus::Utf8NotAllowed:
      // RFC 6531 3.5: 550 for MAIL, 553 for RCPT, both with X.6.7.
      return fail(550, "5.6.7", "Non-ASCII addresses not permitted for that sender");
    case PathStatus::BadSyntax: return fail(501, "5.1.7", "Bad sender address syntax");
    case PathStatus::Ok: break;
  }
  if (path.postmaster) return fail(501, "5.1.7", "Bad sender address syntax");
  command.mailbox = std::move(path.mailbox);
  return ok(std::move(command));
}

ParseResult parse_rcpt(std::string_view rest, bool smtputf8_transaction) {
  if (!cut_keyword(rest, "TO:")) return syntax_error("Syntax: RCPT TO:<address>");
  auto path_text = cut_path(rest);
  if (!path_text) return fail(501, "5.1.3", "Bad recipient address syntax");
  std::vector<Param> params;
  if (auto error = split_params(rest, smtputf8_transaction, params)) return std::move(*error);
  Command command;
  command.verb = Verb::Rcpt;
  for (const Param& p : params)
    if (auto error = apply_rcpt_param(p, command.rcpt)) return std::move(*error);
  ParsedPath path = parse_path(*path_text, smtputf8_transaction);
  switch (path.status) {
    case PathStatus::TooLong: return fail(501, "5.1.3", "Recipient address too long");
    case PathStatus::Utf8NotAllowed:
      return fail(553, "5.6.7", "Non-ASCII addresses not permitted for that recipient");
    case PathStatus::BadSyntax: return fail(501, "5.1.3", "Bad recipient address syntax");
    case PathStatus::Ok: break;
  }
  // RFC 5321 4.1.1.3: the null path is for MAIL only; "<postmaster>" without domain is valid.
  if (path.null_path) return fail(501, "5.1.3", "Bad recipient address syntax");
  command.postmaster = path.postmaster;
  command.mailbox = std::move(path.mailbox);
  return ok(std::move(command));
}

ParseResult parse_without_arguments(Verb verb, std::string_view rest) {
  if (!rest.empty()) return syntax_error("Syntax: " + std::string(verb_name(verb)));
  Command command;
  command.verb = verb;
  return ok(std::move(command));
}

ParseResult parse_string_argument(Verb verb, std::string_view rest, bool required) {
  Command command;
  command.verb = verb;
  // RFC 6531 3.7.4.2: vrfy = "VRFY" SP String [ SP "SMTPUTF8" ]; likewise EXPN.
  constexpr std::string_view kUtf8Param = " SMTPUTF8";
  if (required && rest.size() > kUtf8Param.size() &&
      iequals(rest.substr(rest.size() - kUtf8Param.size()), kUtf8Param)) {
    command.smtputf8 = true;
    rest = trim(rest.substr(0, rest.size() - kUtf8Param.size()));
  }
  if (required && rest.empty())
    return syntax_error("Syntax: " + std::string(verb_name(verb)) + " string");
  command.argument = std::string(rest);
  return ok(std::move(command));
}

// RFC 3030 2: bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CR LF
ParseResult parse_bdat(std::string_view rest) {
  std::string_view size_word = next_word(rest);
  std::string_view last_word = next_word(rest);
  auto size = parse_uint(size_word);
  bool last = iequals(last_word, "LAST");
  if (!size || (!last_word.empty() && !last) || !rest.empty())
    return syntax_error("Syntax: BDAT size [LAST]");
  Command command;
  command.verb = Verb::Bdat;
  command.chunk_size = *size;
  command.last_chunk = last;
  return ok(std::move(command));
}

// RFC 4422 3.1: sasl-mech = 1*20mech-char; mech-char = UPPER-ALPHA / DIGIT / HYPHEN / UNDERSCORE
bool is_sasl_mech_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxSaslMechName) return false;
  for (char c : s)
    if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_') return false;
  return true;
}

// RFC 4648 4 base64 alphabet, padding only at the end.
bool is_base64(std::string_view s) {
  size_t padding = 0;
  for (char c : s) {
    if (c == '=') {
      ++padding;
    } else if (padding || !(is_alpha(c) || is_digit(c) || c == '+' || c == '/')) {
      return false;
    }
  }
  return padding <= 2 && padding < s.size();
}

// RFC 4954 4: "AUTH" SP sasl-mech [SP initial-response]; "=" is an empty initial response.
ParseResult parse_auth(std::string_view rest) {
  std::string_view mechanism = next_word(rest);
  std::string_view response = next_word(rest);
  if (!is_sasl_mech_name(mechanism) || !rest.empty())
    return syntax_error("Syntax: AUTH mechanism [initial-response]");
  Command command;
  command.verb = Verb::Auth;
  command.argument = to_upper(mechanism);
  if (response == "=") {
    command.initial_response = std::string();
  } else if (!response.empty()) {
    if (!is_base64(response)) return fail(501, "5.5.2", "Cannot decode initial response");
    command.initial_response = std::string(response);
  }
  return ok(std::move(command));
}

ParseResult parse_arguments(Verb verb, std::string_view rest, bool smtputf8_allowed) {
  switch (verb) {
    case Verb::Helo:
    case Verb::Ehlo:
    case Verb::Lhlo: return parse_helo(verb, rest);
    case Verb::Mail: return parse_mail(rest, smtputf8_allowed);
    case Verb::Rcpt: return parse_rcpt(rest, smtputf8_allowed);
    case Verb::Data:
    case Verb::Rset:
    case Verb::Quit:
    case Verb::StartTls: return parse_without_arguments(verb, rest);
    case Verb::Noop:
    case Verb::Help: return parse_string_argument(verb, rest, false);
    case Verb::Vrfy:
    case Verb::Expn: return parse_string_argument(verb, rest, true);
    case Verb::Bdat: return parse_bdat(rest);
    case Verb::Auth: return parse_auth(rest);
  }
  return fail(500, "5.5.1", "Unknown command");
}

}  // namespace

std::string_view verb_name(Verb verb) {
  for (const auto& entry : kVerbs)
    if (entry.verb == verb) return entry.name;
  return "?";
}

ParseResult parse_command(std::string_view line, bool smtputf8_allowed) {
  constexpr size_t kCrlf = 2;
  if (line.size() + kCrlf > kMaxAuthLine) return fail(500, "5.5.2", "Line too long");
  if (has_control_characters(line)) return fail(500, "5.5.2", "Syntax error: invalid character in command");
  std::string_view rest = line;
  while (!rest.empty() && is_space(rest.back())) rest.remove_suffix(1);
  std::string_view word = next_word(rest);
  if (word.empty()) return fail(500, "5.5.2", "Syntax error: empty command");
  auto verb = lookup_verb(word);
  if (line.size() + kCrlf > (verb ? max_line_for(*verb) : kMaxCommandLine))
    return fail(500, "5.5.2", "Line too long");
  if (!verb) return fail(500, "5.5.1", "Unknown command");
  return parse_arguments(*verb, rest, smtputf8_allowed);
}

}  // namespace kurier::smtp
