// SEARCH and UID SEARCH (RFC 9051 6.4.4, RFC 3501 6.4.4) with ESEARCH (RFC 4731), SEARCHRES
// (RFC 5182), CONDSTORE's MODSEQ key (RFC 7162 3.1.5) and WITHIN's OLDER/YOUNGER (RFC 5032).
// - Text keys (FROM, SUBJECT, HEADER, BODY, TEXT, ...) match case-insensitively as substrings
//   (RFC 9051 6.4.4 "case-insensitive substring match"); headers are matched after RFC 2047
//   decoding, bodies after Content-Transfer-Encoding decoding and conversion to UTF-8.
// - Only CHARSET UTF-8 and US-ASCII are accepted (RFC 9051 6.4.4: else NO [BADCHARSET]).
// - Dates: BEFORE/ON/SINCE compare the internal date's calendar day in the zone it was
//   recorded in; SENT* compare the Date: header's day (RFC 9051 6.4.4, "disregarding time").
// - Message content is read only when a key needs it, from the mmap'd blob.
#include "imap/session_internal.h"

#include <algorithm>
#include <ctime>

#include "common/strings.h"
#include "imap/datetime.h"
#include "imap/quote.h"
#include "imap/stored_message.h"
#include "mime/cache.h"
#include "mime/header.h"
#include "mime/part.h"
#include "mime/transfer_encoding.h"
#include "net/runtime.h"

namespace kurier::imap {
namespace {

using Key = SearchKey::Kind;

// ASCII case-insensitive substring search; non-ASCII bytes compare exactly.
bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > hay.size()) return false;
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return ascii_lower(a) == ascii_lower(b); });
  return it != hay.end();
}

bool needs_content(const SearchKey& k) {
  switch (k.kind) {
    case Key::bcc: case Key::body: case Key::cc: case Key::from: case Key::subject:
    case Key::text: case Key::to: case Key::header: case Key::sentbefore: case Key::senton:
    case Key::sentsince: return true;
    default: break;
  }
  for (const auto& c : k.children)
    if (needs_content(c)) return true;
  return false;
}

bool uses_modseq(const SearchKey& k) {
  if (k.kind == Key::modseq) return true;
  for (const auto& c : k.children)
    if (uses_modseq(c)) return true;
  return false;
}

// One message under evaluation, with its bytes and structure loaded on first use.
struct Candidate : StoredMessage {
  uint32_t seq = 0;
  std::optional<std::string> body_text;  // decoded text parts, lazily

  std::string_view header() {
    const mime::Part& p = structure();
    std::string_view b = bytes();
    if (p.header_offset + p.header_size > b.size()) return {};
    return b.substr(p.header_offset, p.header_size);
  }
};

void collect_text(const mime::Part& p, std::string_view msg, std::string& out, size_t& budget) {
  if (p.is_multipart() || p.is_message()) {
    if (p.is_message() && p.children.size() == 1) {
      const mime::Part& inner = p.children[0];
      if (inner.header_offset + inner.header_size <= msg.size())
        out += mime::decode_encoded_words(msg.substr(inner.header_offset, inner.header_size));
    }
    for (const auto& c : p.children) collect_text(c, msg, out, budget);
    return;
  }
  if (!p.is_text() || p.end() > msg.size() || budget == 0) return;
  std::string_view body = msg.substr(p.body_offset, std::min(p.body_size, budget));
  budget -= body.size();
  auto decoded = mime::decode_transfer_encoding(body, p.encoding);
  std::string text = decoded ? std::move(*decoded) : std::string(body);
  std::string charset;
  for (const auto& param : p.params)
    if (iequals(param.name, "charset")) charset = param.value;
  if (!charset.empty() && !iequals(charset, "utf-8") && !iequals(charset, "us-ascii")) {
    if (auto converted = mime::convert_to_utf8(text, charset)) text = std::move(*converted);
  }
  out += text;
  out += '\n';
}

class Evaluator {
 public:
  Evaluator(const MailboxView& view, const std::vector<store::Uid>& saved, std::time_t now)
      : view_(view), saved_(saved), now_(now) {}

  bool match(const SearchKey& k, Candidate& c) {
    const store::MessageMeta& m = *c.meta;
    uint32_t sys = m.flags.system;
    switch (k.kind) {
      case Key::and_:
        for (const auto& ch : k.children)
          if (!match(ch, c)) return false;
        return true;
      case Key::or_: return match(k.children.at(0), c) || match(k.children.at(1), c);
      case Key::not_: return !match(k.children.at(0), c);
      case Key::all: return true;
      case Key::answered: return sys & store::kAnswered;
      case Key::deleted: return sys & store::kDeleted;
      case Key::draft: return sys & store::kDraft;
      case Key::flagged: return sys & store::kFlagged;
      case Key::seen: return sys & store::kSeen;
      case Key::unanswered: return !(sys & store::kAnswered);
      case Key::undeleted: return !(sys & store::kDeleted);
      case Key::undraft: return !(sys & store::kDraft);
      case Key::unflagged: return !(sys & store::kFlagged);
      case Key::unseen: return !(sys & store::kSeen);
      // RFC 3501 6.4.4: NEW is RECENT UNSEEN; OLD is NOT RECENT.
      case Key::new_: return view_.is_recent(m.uid) && !(sys & store::kSeen);
      case Key::recent: return view_.is_recent(m.uid);
      case Key::old: return !view_.is_recent(m.uid);
      case Key::keyword: return has_keyword(m, k.text);
      case Key::unkeyword: return !has_keyword(m, k.text);
      case Key::larger: return m.size > k.number;
      case Key::smaller: return m.size < k.number;
      case Key::older: return now_ - m.internal_date >= int64_t(k.number);
      case Key::younger: return now_ - m.internal_date <= int64_t(k.number);
      case Key::modseq: return m.modseq >= k.number;
      case Key::before: return internal_day(m) < to_time_t(k.date);
      case Key::on: return internal_day(m) == to_time_t(k.date);
      case Key::since: return internal_day(m) >= to_time_t(k.date);
      case Key::sentbefore:
      case Key::senton:
      case Key::sentsince: return match_sent(k, c);
      case Key::sequence_set: return in_set(k.set, c.seq, false, m.uid);
      case Key::uid: return in_set(k.set, c.seq, true, m.uid);
      case Key::from: return match_header(c, "From", k.text);
      case Key::to: return match_header(c, "To", k.text);
      case Key::cc: return match_header(c, "Cc", k.text);
      case Key::bcc: return match_header(c, "Bcc", k.text);
      case Key::subject: return match_header(c, "Subject", k.text);
      case Key::header: return match_header(c, k.text, k.value);
      case Key::body: return icontains(body_text(c), k.text);
      case Key::text:
        return icontains(mime::decode_encoded_words(c.header()), k.text) || icontains(body_text(c), k.text);
    }
    return false;
  }

 private:
  static bool has_keyword(const store::MessageMeta& m, const std::string& kw) {
    // System flags may be named as keywords too ("KEYWORD \Seen" is not valid syntax, but be kind).
    for (const auto& k : m.flags.keywords)
      if (iequals(k, kw)) return true;
    return false;
  }

  static std::time_t internal_day(const store::MessageMeta& m) {
    return to_time_t(date_from_time_t(std::time_t(m.internal_date), m.internal_tz));
  }

  bool match_sent(const SearchKey& k, Candidate& c) {
    auto value = mime::header_value(c.header(), "Date");
    if (!value) return false;
    auto t = mime::parse_date(*value);
    if (!t) return false;
    std::time_t day = to_time_t(date_from_time_t(*t, 0));
    std::time_t want = to_time_t(k.date);
    if (k.kind == Key::sentbefore) return day < want;
    if (k.kind == Key::senton) return day == want;
    return day >= want;
  }

  bool in_set(const SequenceSet& set, uint32_t seq, bool uid, store::Uid u) const {
    if (set.saved_result) return std::find(saved_.begin(), saved_.end(), u) != saved_.end();
    if (uid) return set.contains(u, view_.max_uid());
    return set.contains(seq, view_.size());
  }

  static bool match_header(Candidate& c, std::string_view name, const std::string& needle) {
    for (const auto& f : mime::parse_header_fields(c.header())) {
      if (!iequals(f.name, name)) continue;
      // RFC 9051 6.4.4 HEADER: an empty string matches every message that has the field.
      if (needle.empty()) return true;
      if (icontains(mime::decode_encoded_words(f.value()), needle)) return true;
    }
    return false;
  }

  static const std::string& body_text(Candidate& c) {
    if (!c.body_text) {
      std::string text;
      size_t budget = 64 * 1024 * 1024;  // bounds the decoded text of one message
      collect_text(c.structure(), c.bytes(), text, budget);
      c.body_text = std::move(text);
    }
    return *c.body_text;
  }

  const MailboxView& view_;
  const std::vector<store::Uid>& saved_;
  std::time_t now_;
};

}  // namespace

net::awaitable<Reply> Session::cmd_search(Command& cmd) {
  auto& a = cmd.as<SearchArgs>();
  if (a.charset && *a.charset != "UTF-8" && *a.charset != "US-ASCII")
    co_return Reply::no("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
  bool modseq_key = uses_modseq(a.program);
  if (modseq_key) condstore_ = true;  // RFC 7162 3.1: a MODSEQ search enables CONDSTORE
  store::MailboxId id = selected_->info.id;
  auto metas = co_await offload([&] { return store().messages(id); });
  bool content = needs_content(a.program);
  std::map<store::Uid, std::string> structures;
  if (content) {
    auto list = co_await offload([&] { return store().cached_structures(id, store::all_uids()); });
    for (auto& [uid, data] : list) structures[uid] = std::move(data);
  }

  const MailboxView& view = selected_->view;
  Evaluator eval(view, saved_result_, std::time(nullptr));
  std::vector<uint32_t> seqs;
  std::vector<store::Uid> uids;
  store::ModSeq highest = 0;
  for (const auto& m : metas) {
    uint32_t seq = view.seq_of(m.uid);
    if (!seq) continue;  // not announced to this client yet
    Candidate c;
    c.seq = seq;
    c.meta = &m;
    c.blobs = s_.blob_store;
    auto st = structures.find(m.uid);
    if (st != structures.end()) c.cached = &st->second;
    bool hit = false;
    try {
      hit = eval.match(a.program, c);
    } catch (const std::exception&) {
      hit = false;  // unreadable message: it matches no content key
    }
    if (!hit) continue;
    seqs.push_back(seq);
    uids.push_back(m.uid);
    highest = std::max(highest, m.modseq);
  }

  auto numbers = cmd.uid ? std::vector<uint32_t>(uids.begin(), uids.end()) : seqs;
  // RFC 9051 6.4.4: an IMAP4rev2 session always gets ESEARCH responses.
  if (!a.esearch && !rev2_) {
    std::string line = "SEARCH";
    for (uint32_t n : numbers) line += " " + std::to_string(n);
    if (modseq_key && !numbers.empty()) line += " (MODSEQ " + std::to_string(highest) + ")";
    untagged(line);
    co_return Reply::ok("SEARCH completed");
  }

  // RFC 4731 3.1: "RETURN ()" means ALL; SAVE alone returns nothing (RFC 5182 2.1).
  std::vector<SearchReturn> returns = a.returns;
  if (returns.empty()) returns.push_back(SearchReturn::all);
  bool save = std::find(returns.begin(), returns.end(), SearchReturn::save) != returns.end();
  if (save) saved_result_ = uids;
  std::string line = "ESEARCH (TAG " + imap::quoted(cmd.tag) + ")";
  if (cmd.uid) line += " UID";
  bool any = false;
  for (SearchReturn r : returns) {
    switch (r) {
      case SearchReturn::min:
        if (!numbers.empty()) line += " MIN " + std::to_string(*std::min_element(numbers.begin(), numbers.end()));
        any = true;
        break;
      case SearchReturn::max:
        if (!numbers.empty()) line += " MAX " + std::to_string(*std::max_element(numbers.begin(), numbers.end()));
        any = true;
        break;
      case SearchReturn::count:
        line += " COUNT " + std::to_string(numbers.size());
        any = true;
        break;
      case SearchReturn::all:
        if (!numbers.empty()) line += " ALL " + format_number_set(numbers);
        any = true;
        break;
      case SearchReturn::save: break;
    }
  }
  if (modseq_key && !numbers.empty()) line += " MODSEQ " + std::to_string(highest);
  // RFC 5182 2.1: with SAVE alone (or SAVE plus only MIN/MAX... ) no ESEARCH is needed when
  // nothing else was asked.
  if (any) untagged(line);
  co_return Reply::ok("SEARCH completed");
}

}  // namespace kurier::imap
