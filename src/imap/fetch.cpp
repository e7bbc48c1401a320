// FETCH and UID FETCH (RFC 9051 6.4.5 and 7.5.2, RFC 3501 6.4.5), with CONDSTORE's MODSEQ and
// CHANGEDSINCE (RFC 7162 3.1.4), QRESYNC's VANISHED modifier (RFC 7162 3.2.6) and BINARY
// (RFC 3516).
// - ENVELOPE, BODY and BODYSTRUCTURE come from the cached structure the store keeps per message
//   (mime::serialize'd at delivery/APPEND time); a message is only re-parsed when that cache is
//   missing or unreadable.
// - Body sections are slices of the mmap'd blob (mime::resolve_section), sent with CRLF line
//   endings (RFC 9051 2.2) and written in pieces, so no large message is copied whole.
// - BODY[...] without PEEK, RFC822 and RFC822.TEXT set \Seen unless the mailbox is read-only
//   (RFC 9051 6.4.5); the changed FLAGS are included in the response.
// - Messages are fetched in batches so memory stays bounded for "1:*" on large mailboxes.
// Shape: plan_fetch() decides once what every response carries; each batch is loaded
// (load_batch: metadata, \Seen, structures); write_message() writes one response, each item by
// its writer, and says how it went with a FetchOutcome.
#include "imap/session_internal.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/log.h"
#include "imap_protocol/datetime.h"
#include "imap_protocol/quote.h"
#include "imap/stored_message.h"
#include "mime/bodystructure.h"
#include "mime/cache.h"
#include "mime/envelope.h"
#include "mime/section.h"
#include "mime/transfer_encoding.h"
#include "net/runtime.h"
#include "store/errors.h"

namespace kurier::imap {
namespace {

constexpr size_t kBatch = 200;
using Kind = FetchItem::Kind;

// How writing one item (or one message's response) went.
struct FetchOutcome {
  enum class Status {
    written,       // all sent
    failed,        // sent as NIL or left out; the command ends with `text` as a tagged NO
    expunged,      // the message's data is gone: nothing sent; NO [EXPUNGEISSUED] unless worse
    disconnected,  // the connection failed mid-literal: the session ends
  };
  Status status = Status::written;
  std::string text;
  static FetchOutcome ok() { return {}; }
  static FetchOutcome fail(std::string why) { return {Status::failed, std::move(why)}; }
  static FetchOutcome gone() { return {Status::disconnected, {}}; }
  static FetchOutcome expunged() { return {Status::expunged, {}}; }
};

FetchItem plain_item(Kind kind) {
  FetchItem item;
  item.kind = kind;
  return item;
}

bool sets_seen(const FetchItem& item) {
  switch (item.kind) {
    case Kind::rfc822:
    case Kind::rfc822_text: return true;
    case Kind::body_section:
    case Kind::binary: return !item.peek;
    default: return false;
  }
}

bool needs_structure(const FetchItem& item) {
  switch (item.kind) {
    case Kind::envelope:
    case Kind::body_structure_short:
    case Kind::bodystructure:
    case Kind::body_section:
    case Kind::binary:
    case Kind::binary_size:
    case Kind::rfc822:
    case Kind::rfc822_header:
    case Kind::rfc822_text: return true;
    default: return false;
  }
}

std::string section_text(const Section& s) {
  std::string out;
  for (size_t i = 0; i < s.part.size(); ++i) {
    if (i) out += '.';
    out += std::to_string(s.part[i]);
  }
  auto add = [&](const char* word) {
    if (!out.empty()) out += '.';
    out += word;
  };
  switch (s.text) {
    case Section::Text::none: break;
    case Section::Text::header: add("HEADER"); break;
    case Section::Text::text: add("TEXT"); break;
    case Section::Text::mime: add("MIME"); break;
    case Section::Text::header_fields:
    case Section::Text::header_fields_not: {
      add(s.text == Section::Text::header_fields ? "HEADER.FIELDS" : "HEADER.FIELDS.NOT");
      out += " (";
      for (size_t i = 0; i < s.fields.size(); ++i) {
        if (i) out += ' ';
        out += imap_astring(s.fields[i]);
      }
      out += ')';
      break;
    }
  }
  return out;
}

mime::SectionSpec to_spec(const Section& s) {
  mime::SectionSpec spec;
  spec.path = s.part;
  spec.fields = s.fields;
  switch (s.text) {
    case Section::Text::none: spec.kind = mime::SectionKind::Full; break;
    case Section::Text::header: spec.kind = mime::SectionKind::Header; break;
    case Section::Text::header_fields: spec.kind = mime::SectionKind::HeaderFields; break;
    case Section::Text::header_fields_not: spec.kind = mime::SectionKind::HeaderFieldsNot; break;
    case Section::Text::text: spec.kind = mime::SectionKind::Text; break;
    case Section::Text::mime: spec.kind = mime::SectionKind::Mime; break;
  }
  return spec;
}

std::string path_text(const std::vector<uint32_t>& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (i) out += '.';
    out += std::to_string(path[i]);
  }
  return out;
}

// The uids that have no entry in metas (UID order), ascending.
std::vector<store::Uid> missing_uids(std::vector<store::Uid> uids, const std::vector<store::MessageMeta>& metas) {
  std::sort(uids.begin(), uids.end());
  std::vector<store::Uid> out;
  size_t i = 0;
  for (store::Uid u : uids) {
    while (i < metas.size() && metas[i].uid < u) ++i;
    if (i == metas.size() || metas[i].uid != u) out.push_back(u);
  }
  return out;
}

}  // namespace

// Sends bytes as a literal ("{n}" or "~{n}"), with bare LFs sent as CRLF unless raw_bytes, and
// cut to the partial range <offset.length> of the converted bytes (RFC 9051 6.4.5).
static net::awaitable<bool> emit_literal(Session& s, std::string_view bytes, const FetchItem& item,
                                         bool raw_bytes) {
  bool convert = !raw_bytes && mime::crlf_size(bytes) != bytes.size();
  uint64_t total = convert ? mime::crlf_size(bytes) : bytes.size();
  uint64_t start = item.partial_offset ? std::min<uint64_t>(*item.partial_offset, total) : 0;
  uint64_t len = item.partial_offset ? std::min<uint64_t>(item.partial_length, total - start) : total - start;
  bool literal8 = raw_bytes && bytes.find('\0') != std::string_view::npos;
  s.raw((literal8 ? "~{" : "{") + std::to_string(len) + "}\r\n");
  if (!convert) co_return co_await s.emit(bytes.substr(start, len));
  // Convert piece by piece; never cut between CR and LF.
  constexpr size_t kPiece = 256 * 1024;
  uint64_t skip = start, take = len;
  size_t pos = 0;
  std::string chunk;
  while (pos < bytes.size() && take > 0) {
    size_t end = std::min(bytes.size(), pos + kPiece);
    while (end < bytes.size() && bytes[end - 1] == '\r') ++end;
    chunk.clear();
    mime::append_crlf(chunk, bytes.substr(pos, end - pos));
    pos = end;
    if (skip >= chunk.size()) {
      skip -= chunk.size();
      continue;
    }
    std::string_view piece = std::string_view(chunk).substr(skip, take);
    skip = 0;
    take -= piece.size();
    if (!co_await s.emit(piece)) co_return false;
  }
  co_return true;
}

// ---- BINARY (RFC 3516) ---------------------------------------------------------------------

namespace {

constexpr size_t kDecodePiece = 256 * 1024;  // encoded bytes decoded at a time

// Size and NUL-ness of a part's decoded content, decoding piece by piece (never whole).
struct DecodedShape {
  uint64_t size = 0;
  bool has_nul = false;
};

DecodedShape measure_decoded(std::string_view body, mime::TransferDecoder decoder) {
  DecodedShape shape;
  std::string out;
  for (size_t pos = 0; pos <= body.size(); pos += kDecodePiece) {
    out.clear();
    if (pos < body.size()) decoder.feed(body.substr(pos, kDecodePiece), out);
    else decoder.finish(out);
    shape.size += out.size();
    shape.has_nul = shape.has_nul || out.find('\0') != std::string::npos;
  }
  return shape;
}

std::string binary_name(const FetchItem& item) {
  std::string name = (item.kind == Kind::binary ? "BINARY[" : "BINARY.SIZE[") + path_text(item.section.part) + "]";
  if (item.kind == Kind::binary && item.partial_offset) name += "<" + std::to_string(*item.partial_offset) + ">";
  return name;
}

}  // namespace

// The decoded content of a base64 or quoted-printable part as a literal, cut to <offset.length>
// of the decoded bytes: decoded again piece by piece while writing. RFC 3516 4.3: literal8
// ("~{n}") when it holds NUL.
static net::awaitable<bool> emit_decoded_literal(Session& s, std::string_view body, mime::TransferDecoder decoder,
                                                 DecodedShape shape, const FetchItem& item) {
  uint64_t start = item.partial_offset ? std::min<uint64_t>(*item.partial_offset, shape.size) : 0;
  uint64_t len = item.partial_offset ? std::min<uint64_t>(item.partial_length, shape.size - start) : shape.size - start;
  s.raw((shape.has_nul ? "~{" : "{") + std::to_string(len) + "}\r\n");
  uint64_t skip = start, take = len;
  std::string out;
  for (size_t pos = 0; pos <= body.size() && take > 0; pos += kDecodePiece) {
    out.clear();
    if (pos < body.size()) decoder.feed(body.substr(pos, kDecodePiece), out);
    else decoder.finish(out);
    if (skip >= out.size()) {
      skip -= out.size();
      continue;
    }
    std::string_view piece = std::string_view(out).substr(skip, take);
    skip = 0;
    take -= piece.size();
    if (!co_await s.emit(piece)) co_return false;
  }
  co_return true;
}

// BINARY[part]<o.n> and BINARY.SIZE[part] (RFC 3516 4): the part's content with its
// Content-Transfer-Encoding undone; BINARY.SIZE is the size BINARY would send. An empty part
// path is the whole message, which is not itself encoded (sent as BODY[] is).
static net::awaitable<FetchOutcome> write_binary(Session& s, StoredMessage& m, const FetchItem& item) {
  std::string_view msg = m.bytes();
  if (item.section.part.empty()) {
    if (item.kind == Kind::binary_size) {
      s.raw(binary_name(item) + " " + std::to_string(mime::crlf_size(msg)));
      co_return FetchOutcome::ok();
    }
    s.raw(binary_name(item) + " ");
    if (!co_await emit_literal(s, msg, item, false)) co_return FetchOutcome::gone();
    co_return FetchOutcome::ok();
  }
  const mime::Part* part = mime::find_part(m.structure(), item.section.part);
  if (!part || part->end() > msg.size()) {
    s.raw(binary_name(item) + " NIL");
    co_return FetchOutcome::ok();
  }
  std::string_view body = msg.substr(part->body_offset, part->body_size);
  // Multiparts and messages carry no encoding of their own (RFC 2045 6.4): identity.
  auto decoder = mime::TransferDecoder::for_encoding(part->is_multipart() || part->is_message() ? "" : part->encoding);
  if (!decoder) {
    s.raw(binary_name(item) + " NIL");
    co_return FetchOutcome::fail("[UNKNOWN-CTE] Cannot decode the content transfer encoding");
  }
  DecodedShape shape = measure_decoded(body, *decoder);
  if (item.kind == Kind::binary_size) {
    s.raw(binary_name(item) + " " + std::to_string(shape.size));
    co_return FetchOutcome::ok();
  }
  s.raw(binary_name(item) + " ");
  if (!co_await emit_decoded_literal(s, body, *decoder, shape, item)) co_return FetchOutcome::gone();
  co_return FetchOutcome::ok();
}

// ---- items ---------------------------------------------------------------------------------

// Items answered from metadata and structure, written at once.
static void write_plain_item(Session& s, StoredMessage& m, const FetchItem& item) {
  const store::MessageMeta& meta = *m.meta;
  switch (item.kind) {
    case Kind::uid: s.raw("UID " + std::to_string(meta.uid)); break;
    case Kind::flags: s.raw(s.flags_item(meta)); break;
    case Kind::modseq: s.raw("MODSEQ (" + std::to_string(meta.modseq) + ")"); break;
    case Kind::internaldate:
      s.raw("INTERNALDATE \"" + format_date_time(std::time_t(meta.internal_date), meta.internal_tz) + "\"");
      break;
    case Kind::rfc822_size: s.raw("RFC822.SIZE " + std::to_string(meta.size)); break;
    case Kind::envelope: {
      const mime::Part& p = m.structure();
      std::string env = p.envelope.empty()
                            ? mime::imap_envelope(m.bytes().substr(p.header_offset, p.header_size))
                            : p.envelope;
      s.raw("ENVELOPE " + env);
      break;
    }
    case Kind::body_structure_short: s.raw("BODY " + mime::imap_body(m.structure(), m.bytes())); break;
    case Kind::bodystructure: s.raw("BODYSTRUCTURE " + mime::imap_bodystructure(m.structure(), m.bytes())); break;
    default: break;  // sections and BINARY have writers of their own
  }
}

// BODY[section]<partial> and the RFC822 forms, as CRLF literals (RFC 9051 6.4.5); NIL for a
// part that does not exist.
static net::awaitable<FetchOutcome> write_section(Session& s, StoredMessage& m, const FetchItem& item) {
  std::string name;
  mime::SectionSpec spec;
  if (item.kind == Kind::body_section) {
    spec = to_spec(item.section);
    name = "BODY[" + section_text(item.section) + "]";
    if (item.partial_offset) name += "<" + std::to_string(*item.partial_offset) + ">";
  } else {
    name = item.kind == Kind::rfc822 ? "RFC822" : item.kind == Kind::rfc822_header ? "RFC822.HEADER" : "RFC822.TEXT";
    spec.kind = item.kind == Kind::rfc822 ? mime::SectionKind::Full
                : item.kind == Kind::rfc822_header ? mime::SectionKind::Header
                                                   : mime::SectionKind::Text;
  }
  s.raw(name + " ");
  std::string_view msg = m.bytes();
  auto content = mime::resolve_section(m.structure(), msg, spec);
  if (!content) {
    s.raw("NIL");  // no such part
    co_return FetchOutcome::ok();
  }
  bool written = co_await emit_literal(s, content->view(msg), item, false);
  co_return written ? FetchOutcome::ok() : FetchOutcome::gone();
}

// Writes one item of a FETCH response (its name, a space and its value).
static net::awaitable<FetchOutcome> write_item(Session& s, StoredMessage& m, const FetchItem& item) {
  switch (item.kind) {
    case Kind::rfc822:
    case Kind::rfc822_header:
    case Kind::rfc822_text:
    case Kind::body_section: {
      auto out = co_await write_section(s, m, item);
      co_return out;
    }
    case Kind::binary:
    case Kind::binary_size: {
      auto out = co_await write_binary(s, m, item);
      co_return out;
    }
    default: write_plain_item(s, m, item); co_return FetchOutcome::ok();
  }
}

// ---- plan and batches ------------------------------------------------------------------------

namespace {

// What every FETCH response of one command carries, decided once.
struct FetchPlan {
  std::vector<FetchItem> items;  // as asked, UID first for UID FETCH, MODSEQ for CHANGEDSINCE
  bool sets_seen = false;        // BODY[] and friends on a read-write mailbox (RFC 9051 6.4.5)
  bool needs_structure = false;
  bool asks_flags = false, asks_uid = false, asks_modseq = false;
  std::optional<uint64_t> changedsince;
};

bool has_kind(const std::vector<FetchItem>& items, Kind k) {
  return std::any_of(items.begin(), items.end(), [k](const FetchItem& i) { return i.kind == k; });
}

FetchPlan plan_fetch(const FetchArgs& a, bool uid_command, bool read_only) {
  FetchPlan plan;
  plan.items = a.items;
  if (uid_command && !has_kind(plan.items, Kind::uid)) plan.items.insert(plan.items.begin(), plain_item(Kind::uid));
  // RFC 7162 3.1.4.1: CHANGEDSINCE implies MODSEQ in every response.
  if (a.changedsince && !has_kind(plan.items, Kind::modseq)) plan.items.push_back(plain_item(Kind::modseq));
  plan.sets_seen = !read_only && std::any_of(plan.items.begin(), plan.items.end(), sets_seen);
  plan.needs_structure = std::any_of(plan.items.begin(), plan.items.end(), needs_structure);
  plan.asks_flags = has_kind(plan.items, Kind::flags);
  plan.asks_uid = has_kind(plan.items, Kind::uid);
  plan.asks_modseq = has_kind(plan.items, Kind::modseq);
  plan.changedsince = a.changedsince;
  return plan;
}

// One batch of messages, loaded for writing.
struct FetchBatch {
  std::vector<uint32_t> seqs;
  std::vector<store::MessageMeta> metas;
  std::map<store::Uid, store::MessageMeta*> by_uid;
  std::set<store::Uid> seen_now;  // \Seen set by this FETCH: FLAGS goes into the response
  std::map<store::Uid, std::string> structures;
};

}  // namespace

// Marks the batch's unseen messages \Seen (one store write) and remembers which changed.
static net::awaitable<void> mark_seen(Session& s, store::MailboxId id, FetchBatch& batch) {
  std::vector<store::Uid> unseen;
  for (auto& m : batch.metas)
    if (!(m.flags.system & store::kSeen)) unseen.push_back(m.uid);
  if (unseen.empty()) co_return;
  store::UidSet us = store::uid_set_of(unseen);
  store::Flags seen{store::kSeen, {}};
  auto res = co_await s.offload([&] { return s.store().store_flags(id, us, store::FlagMode::add, seen); });
  for (const auto& c : res.messages) {
    auto it = batch.by_uid.find(c.uid);
    if (it == batch.by_uid.end()) continue;
    it->second->flags = c.flags;
    it->second->modseq = c.modseq;
    if (c.changed) batch.seen_now.insert(c.uid);
    if (s.selected_) s.selected_->view.set_modseq(c.uid, c.modseq);
  }
}

static net::awaitable<void> load_batch(Session& s, const FetchPlan& plan, FetchBatch& batch) {
  store::MailboxId id = s.selected_->info.id;
  std::vector<store::Uid> uids;
  for (uint32_t seq : batch.seqs) uids.push_back(s.selected_->view.uid_at(seq));
  store::UidSet set = store::uid_set_of(uids);
  batch.metas = s.read_in_place([&] { return s.store().messages(id, set); });
  // Issue 9 item 3: a message another session expunged, that this client has not been told
  // about, is still answered (the store keeps it while our subscription holds it).
  if (batch.metas.size() < uids.size()) {
    store::UidSet gone = store::uid_set_of(missing_uids(uids, batch.metas));
    auto kept = s.read_in_place([&] { return s.store().expunged_messages(id, gone); });
    for (auto& m : kept) batch.metas.push_back(std::move(m));
  }
  for (auto& m : batch.metas) batch.by_uid[m.uid] = &m;
  if (plan.sets_seen) co_await mark_seen(s, id, batch);
  if (plan.needs_structure) {
    auto list = s.read_in_place([&] { return s.store().cached_structures(id, set); });
    for (auto& [uid, data] : list) batch.structures[uid] = std::move(data);
  }
}

// Writes "* seq FETCH (...)" for one message of the batch. Nothing is written for a message
// whose data is gone or unreadable (failed), or left out by CHANGEDSINCE.
static net::awaitable<FetchOutcome> write_message(Session& s, const FetchPlan& plan, FetchBatch& batch,
                                                  uint32_t seq) {
  store::Uid uid = s.selected_->view.uid_at(seq);
  auto it = batch.by_uid.find(uid);
  // Its data is really gone (should not happen while our subscription holds it).
  if (it == batch.by_uid.end()) co_return FetchOutcome::expunged();
  const store::MessageMeta& meta = *it->second;
  if (plan.changedsince && meta.modseq <= *plan.changedsince) co_return FetchOutcome::ok();
  StoredMessage m;
  m.meta = &meta;
  m.blobs = s.s_.blob_store;
  auto st = batch.structures.find(uid);
  if (st != batch.structures.end()) m.cached = &st->second;
  if (plan.needs_structure) {
    // Open the blob before writing anything, so an unreadable message is left out whole
    // instead of breaking the response syntax.
    try {
      m.structure();
      m.bytes();
    } catch (const std::exception& e) {
      log::warn("imap.fetch_unreadable", {{"uid", uid}, {"error", e.what()}});
      co_return FetchOutcome::fail("[SERVERBUG] Cannot read message UID " + std::to_string(uid));
    }
  }
  bool seen_now = batch.seen_now.count(uid) > 0;
  if (seen_now || plan.asks_flags) s.announce_keywords(meta.flags);
  s.raw("* " + std::to_string(seq) + " FETCH (");
  FetchOutcome result;
  for (size_t i = 0; i < plan.items.size(); ++i) {
    if (i) s.raw(" ");
    FetchOutcome item;
    try {
      item = co_await write_item(s, m, plan.items[i]);
    } catch (const store::StoreError& e) {
      item = FetchOutcome::fail("[SERVERBUG] Cannot read message " + std::to_string(uid) + ": " + sanitize_text(e.what()));
    }
    if (item.status == FetchOutcome::Status::disconnected) co_return item;
    if (item.status == FetchOutcome::Status::failed) result = item;
  }
  // RFC 9051 6.4.5: a FETCH that sets \Seen reports the new FLAGS; with CONDSTORE, FLAGS
  // travel with MODSEQ and UID (RFC 7162 3.1.4.1).
  bool flags_sent = plan.asks_flags || seen_now;
  if (seen_now && !plan.asks_flags) s.raw(" " + s.flags_item(meta));
  if (s.condstore_ && flags_sent && !plan.asks_modseq) s.raw(" MODSEQ (" + std::to_string(meta.modseq) + ")");
  if (s.condstore_ && flags_sent && !plan.asks_uid) s.raw(" UID " + std::to_string(uid));
  s.raw(")\r\n");
  if (flags_sent && s.selected_) s.selected_->view.set_modseq(uid, meta.modseq);
  co_return result;
}

// RFC 7162 3.2.6: UIDs in the set expunged since CHANGEDSINCE, as VANISHED (EARLIER).
static net::awaitable<void> report_vanished_earlier(Session& s, const FetchArgs& a) {
  store::MailboxId id = s.selected_->info.id;
  store::ModSeq since = *a.changedsince;
  auto ch = co_await s.offload([&] { return s.store().changes_since(id, since); });
  uint32_t max_uid = std::max(s.selected_->view.max_uid(), s.selected_->info.uidnext);
  std::vector<uint32_t> gone;
  for (store::Uid u : ch.vanished)
    if (a.set.contains(u, max_uid) && !s.selected_->view.contains(u)) gone.push_back(u);
  if (!gone.empty()) s.untagged("VANISHED (EARLIER) " + format_number_set(gone));
}

net::awaitable<Reply> Session::cmd_fetch(Command& cmd) {
  auto& a = cmd.as<FetchArgs>();
  auto seqs = resolve_set(a.set, cmd.uid);
  if (!seqs) co_return Reply::bad("Invalid message sequence number in the set");
  if (a.vanished && !qresync_) co_return Reply::bad("VANISHED needs ENABLE QRESYNC");
  FetchPlan plan = plan_fetch(a, cmd.uid, selected_->read_only);
  // RFC 7162 3.1: CHANGEDSINCE and the MODSEQ item enable CONDSTORE.
  if (a.changedsince || plan.asks_modseq) condstore_ = true;
  if (a.vanished && a.changedsince) co_await report_vanished_earlier(*this, a);

  std::string failure;
  bool expunged = false;
  for (size_t b = 0; b < seqs->size(); b += kBatch) {
    FetchBatch batch;
    batch.seqs.assign(seqs->begin() + b, seqs->begin() + std::min(seqs->size(), b + kBatch));
    co_await load_batch(*this, plan, batch);
    for (uint32_t seq : batch.seqs) {
      auto outcome = co_await write_message(*this, plan, batch, seq);
      if (outcome.status == FetchOutcome::Status::disconnected) {
        close_now_ = true;
        co_return Reply::no("Disconnected");
      }
      if (outcome.status == FetchOutcome::Status::failed) failure = outcome.text;
      if (outcome.status == FetchOutcome::Status::expunged) expunged = true;
      if (out_.size() > 256 * 1024) {
        bool written = co_await flush();  // (no co_await inside && or ||: g++ 12 miscompiles it)
        if (!written) {
          close_now_ = true;
          co_return Reply::no("Disconnected");
        }
      }
    }
  }
  if (!failure.empty()) co_return Reply::no(failure);
  if (expunged) co_return Reply::no("[EXPUNGEISSUED] Some messages were expunged meanwhile");
  co_return Reply::ok("FETCH completed");
}

}  // namespace kurier::imap
