// SEARCH evaluation and responses (see search_program.h).
#include "imap/search_program.h"

#include <algorithm>
#include <iterator>
#include <optional>

#include "common/strings.h"
#include "imap_protocol/datetime.h"
#include "imap_protocol/quote.h"
#include "imap_protocol/seqset.h"
#include "mime/envelope.h"
#include "mime/header.h"
#include "mime/part.h"
#include "mime/transfer_encoding.h"
#include "store/flags.h"

namespace kurier::imap {
namespace {

using Key = SearchKey::Kind;

constexpr size_t kMaxBodyText = 64 * 1024 * 1024;  // decoded text searched per message

// ASCII case-insensitive substring search; non-ASCII bytes compare exactly.
bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > hay.size()) return false;
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return ascii_lower(a) == ascii_lower(b); });
  return it != hay.end();
}

bool is_address_key(Key k) { return k == Key::from || k == Key::to || k == Key::cc || k == Key::bcc; }

std::string_view header_name_of(Key k) {
  switch (k) {
    case Key::from: return "From";
    case Key::to: return "To";
    case Key::cc: return "Cc";
    case Key::bcc: return "Bcc";
    default: return "Subject";
  }
}

std::string charset_of(const mime::Part& p) {
  for (const auto& param : p.params)
    if (iequals(param.name, "charset")) return param.value;
  return {};
}

// The decoded text of every text part (and the headers of embedded messages), for BODY/TEXT.
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
  std::string charset = charset_of(p);
  if (!charset.empty() && !iequals(charset, "utf-8") && !iequals(charset, "us-ascii")) {
    if (auto converted = mime::convert_to_utf8(text, charset)) text = std::move(*converted);
  }
  out += text;
  out += '\n';
}

bool in_ranges(const store::UidSet& ranges, uint32_t n) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), n,
                             [](uint32_t v, const store::UidRange& r) { return v < r.first; });
  return it != ranges.begin() && n <= std::prev(it)->last;
}

}  // namespace

bool search_needs_content(const SearchKey& k) {
  switch (k.kind) {
    case Key::bcc: case Key::body: case Key::cc: case Key::from: case Key::subject:
    case Key::text: case Key::to: case Key::header: case Key::sentbefore: case Key::senton:
    case Key::sentsince: return true;
    default: break;
  }
  return std::any_of(k.children.begin(), k.children.end(), search_needs_content);
}

bool search_uses_modseq(const SearchKey& k) {
  return k.kind == Key::modseq || std::any_of(k.children.begin(), k.children.end(), search_uses_modseq);
}

// One message under evaluation; what is decoded from it is kept for the other keys.
struct SearchEvaluator::Candidate {
  StoredMessage& m;
  uint32_t seq = 0;
  std::optional<std::vector<mime::HeaderField>> fields;
  std::optional<std::string> body_text;

  std::string_view header() {
    const mime::Part& p = m.structure();
    std::string_view b = m.bytes();
    if (p.header_offset + p.header_size > b.size()) return {};
    return b.substr(p.header_offset, p.header_size);
  }
  const std::vector<mime::HeaderField>& header_fields() {
    if (!fields) fields = mime::parse_header_fields(header());
    return *fields;
  }
  const std::string& text() {
    if (!body_text) {
      std::string out;
      size_t budget = kMaxBodyText;
      collect_text(m.structure(), m.bytes(), out, budget);
      body_text = std::move(out);
    }
    return *body_text;
  }
};

namespace {

bool has_keyword(const store::MessageMeta& m, const std::string& kw) {
  return std::any_of(m.flags.keywords.begin(), m.flags.keywords.end(),
                     [&](const std::string& k) { return iequals(k, kw); });
}

std::time_t internal_day(const store::MessageMeta& m) {
  return to_time_t(date_from_time_t(std::time_t(m.internal_date), m.internal_tz));
}

bool compare_day(Key kind, std::time_t day, std::time_t want) {
  if (kind == Key::before || kind == Key::sentbefore) return day < want;
  if (kind == Key::on || kind == Key::senton) return day == want;
  return day >= want;
}

}  // namespace

SearchEvaluator::SearchEvaluator(const SearchKey& program, const MailboxView& view,
                                 std::vector<store::Uid> saved, std::time_t now)
    : program_(program), view_(view), saved_(std::move(saved)), now_(now) {
  std::sort(saved_.begin(), saved_.end());
  resolve_sets(program_);
}

void SearchEvaluator::resolve_sets(const SearchKey& k) {
  if ((k.kind == Key::uid || k.kind == Key::sequence_set) && !k.set.saved_result)
    ranges_[&k] = k.set.resolve(k.kind == Key::uid ? view_.max_uid() : view_.size());
  for (const auto& c : k.children) resolve_sets(c);
}

bool SearchEvaluator::in_set(const SearchKey& k, uint32_t seq, store::Uid uid) const {
  // RFC 5182 2.1: "$" names the saved UIDs, whether given to SEARCH or UID SEARCH.
  if (k.set.saved_result) return std::binary_search(saved_.begin(), saved_.end(), uid);
  auto it = ranges_.find(&k);
  return it != ranges_.end() && in_ranges(it->second, k.kind == Key::uid ? uid : seq);
}

bool SearchEvaluator::matches(uint32_t seq, StoredMessage& message) {
  Candidate c{message, seq, std::nullopt, std::nullopt};
  return match(program_, c);
}

bool SearchEvaluator::match(const SearchKey& k, Candidate& c) {
  const store::MessageMeta& m = *c.m.meta;
  uint32_t sys = m.flags.system;
  switch (k.kind) {
    case Key::and_:
      return std::all_of(k.children.begin(), k.children.end(), [&](const SearchKey& ch) { return match(ch, c); });
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
    // A store without per-flag mod-sequences uses the message's for any entry name
    // (RFC 7162 3.1.5: "/flags/\\seen" all N is the message's MODSEQ here).
    case Key::modseq: return m.modseq >= k.number;
    case Key::before:
    case Key::on:
    case Key::since: return compare_day(k.kind, internal_day(m), to_time_t(k.date));
    case Key::sentbefore:
    case Key::senton:
    case Key::sentsince: return match_sent_date(k, c);
    case Key::sequence_set:
    case Key::uid: return in_set(k, c.seq, m.uid);
    case Key::from:
    case Key::to:
    case Key::cc:
    case Key::bcc:
    case Key::subject:
    case Key::header: return match_header(k, c);
    case Key::body: return icontains(c.text(), k.text);
    case Key::text: return icontains(mime::decode_encoded_words(c.header()), k.text) || icontains(c.text(), k.text);
  }
  return false;
}

// SENTBEFORE/SENTON/SENTSINCE: RFC 3501 6.4.4 compares the Date: header "disregarding time
// and timezone", so the calendar day as written, in the header's own zone.
bool SearchEvaluator::match_sent_date(const SearchKey& k, Candidate& c) {
  const auto& fields = c.header_fields();
  auto field = std::find_if(fields.begin(), fields.end(),
                            [](const mime::HeaderField& f) { return iequals(f.name, "Date"); });
  if (field == fields.end()) return false;
  auto sent = mime::parse_zoned_date(field->value());
  if (!sent) return false;
  return compare_day(k.kind, to_time_t(date_from_time_t(sent->utc, sent->zone_minutes)), to_time_t(k.date));
}

// FROM/TO/CC/BCC/SUBJECT/HEADER: a substring of any field of that name, RFC 2047 decoded;
// address fields also as a reader shows them ("Name <box@host>").
bool SearchEvaluator::match_header(const SearchKey& k, Candidate& c) {
  std::string_view name = k.kind == Key::header ? std::string_view(k.text) : header_name_of(k.kind);
  const std::string& needle = k.kind == Key::header ? k.value : k.text;
  for (const auto& f : c.header_fields()) {
    if (!iequals(f.name, name)) continue;
    // RFC 9051 6.4.4 HEADER: an empty string matches every message that has the field.
    if (needle.empty()) return true;
    std::string value = f.value();
    if (icontains(mime::decode_encoded_words(value), needle)) return true;
    if (is_address_key(k.kind) && icontains(mime::address_list_text(value), needle)) return true;
  }
  return false;
}

std::vector<SearchHit> run_search(SearchEvaluator& eval, const MailboxView& view,
                                  std::span<const store::MessageMeta> messages,
                                  const std::unordered_map<store::Uid, std::string>& structures,
                                  store::BlobStore* blobs) {
  std::vector<SearchHit> hits;
  for (const auto& meta : messages) {
    uint32_t seq = view.seq_of(meta.uid);
    if (!seq) continue;  // not announced to this client yet
    StoredMessage m;
    m.meta = &meta;
    m.blobs = blobs;
    auto st = structures.find(meta.uid);
    if (st != structures.end()) m.cached = &st->second;
    bool hit = false;
    try {
      hit = eval.matches(seq, m);
    } catch (const std::exception&) {
      hit = false;  // unreadable message: it matches no content key
    }
    if (hit) hits.push_back({seq, meta.uid, meta.modseq});
  }
  std::sort(hits.begin(), hits.end(), [](const SearchHit& a, const SearchHit& b) { return a.seq < b.seq; });
  return hits;
}

// ---- responses ------------------------------------------------------------------------------

namespace {

uint32_t number_of(const SearchHit& h, bool uid) { return uid ? h.uid : h.seq; }

bool has_return(const std::vector<SearchReturn>& returns, SearchReturn r) {
  return std::find(returns.begin(), returns.end(), r) != returns.end();
}

// RFC 4731 3.2 (and RFC 5182 2.4 for SAVE): MIN and/or MAX without ALL or COUNT stand for
// just those messages.
bool only_min_max(const std::vector<SearchReturn>& returns) {
  bool min_max = has_return(returns, SearchReturn::min) || has_return(returns, SearchReturn::max);
  return min_max && !has_return(returns, SearchReturn::all) && !has_return(returns, SearchReturn::count);
}

// Hits are in sequence order, which is also UID order.
std::vector<const SearchHit*> returned_messages(const std::vector<SearchHit>& hits,
                                                const std::vector<SearchReturn>& returns) {
  std::vector<const SearchHit*> out;
  if (hits.empty()) return out;
  if (!only_min_max(returns)) {
    for (const auto& h : hits) out.push_back(&h);
    return out;
  }
  if (has_return(returns, SearchReturn::min)) out.push_back(&hits.front());
  if (has_return(returns, SearchReturn::max) && (out.empty() || out.back() != &hits.back())) out.push_back(&hits.back());
  return out;
}

}  // namespace

std::string format_search_response(const std::vector<SearchHit>& hits, bool uid, bool with_modseq) {
  std::string line = "SEARCH";
  store::ModSeq highest = 0;
  for (const auto& h : hits) {
    line += ' ';
    line += std::to_string(number_of(h, uid));
    highest = std::max(highest, h.modseq);
  }
  // RFC 7162 3.1.5: the highest mod-sequence of the messages returned.
  if (with_modseq && !hits.empty()) line += " (MODSEQ " + std::to_string(highest) + ")";
  return line;
}

std::string format_esearch_response(const std::string& tag, const std::vector<SearchHit>& hits,
                                    bool uid, const std::vector<SearchReturn>& requested,
                                    bool with_modseq) {
  // RFC 4731 3.1: "RETURN ()" means ALL. RFC 5182 2.1: SAVE alone returns no ESEARCH.
  std::vector<SearchReturn> returns = requested;
  if (returns.empty()) returns.push_back(SearchReturn::all);
  if (std::all_of(returns.begin(), returns.end(), [](SearchReturn r) { return r == SearchReturn::save; }))
    return {};
  std::string line = "ESEARCH (TAG " + imap::quoted(tag) + ")";
  if (uid) line += " UID";
  for (SearchReturn r : returns) {
    switch (r) {
      case SearchReturn::min:
        if (!hits.empty()) line += " MIN " + std::to_string(number_of(hits.front(), uid));
        break;
      case SearchReturn::max:
        if (!hits.empty()) line += " MAX " + std::to_string(number_of(hits.back(), uid));
        break;
      case SearchReturn::count: line += " COUNT " + std::to_string(hits.size()); break;
      case SearchReturn::all: {
        if (hits.empty()) break;
        std::vector<uint32_t> numbers;
        numbers.reserve(hits.size());
        for (const auto& h : hits) numbers.push_back(number_of(h, uid));
        line += " ALL " + format_number_set(std::move(numbers));
        break;
      }
      case SearchReturn::save: break;
    }
  }
  if (with_modseq) {
    store::ModSeq highest = 0;
    for (const SearchHit* h : returned_messages(hits, returns)) highest = std::max(highest, h->modseq);
    if (highest) line += " MODSEQ " + std::to_string(highest);
  }
  return line;
}

std::vector<store::Uid> saved_search_result(const std::vector<SearchHit>& hits,
                                            const std::vector<SearchReturn>& returns) {
  std::vector<store::Uid> out;
  for (const SearchHit* h : returned_messages(hits, returns)) out.push_back(h->uid);
  return out;
}

}  // namespace kurier::imap
