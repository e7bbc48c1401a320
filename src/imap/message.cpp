// Commands that change messages: STORE (RFC 9051 6.4.6, RFC 7162 3.1.3 UNCHANGEDSINCE and
// [MODIFIED]), COPY (6.4.7) and MOVE (RFC 6851) with COPYUID (RFC 4315), EXPUNGE (6.4.3) and
// UID EXPUNGE (RFC 4315 2.1), APPEND (6.3.12, RFC 4315 APPENDUID, RFC 3502 MULTIAPPEND,
// RFC 7889 APPENDLIMIT, RFC 9208 OVERQUOTA).
// APPEND messages were streamed into uncommitted blobs while the command was read
// (session.cpp); here each blob is committed (fsync), parsed once for the structure cache, and
// only then appended to the store, so an OK always means the message is on disk.
#include "imap/session_internal.h"

#include <algorithm>
#include <ctime>

#include "common/crlf.h"
#include "common/log.h"
#include "common/strings.h"
#include "imap_protocol/datetime.h"
#include "imap_protocol/quote.h"
#include "imap_protocol/seqset.h"
#include "mime/cache.h"
#include "mime/part.h"
#include "net/runtime.h"
#include "store/errors.h"
#include "store/flags.h"

namespace kurier::imap {
namespace {

// Flag names from the client -> store flags. nullopt and `error` for an invalid one.
std::optional<store::Flags> to_store_flags(const std::vector<std::string>& names, std::string& error) {
  store::Flags flags;
  for (const auto& n : names) {
    if (!n.empty() && n[0] == '\\') {
      if (iequals(n, "\\Seen")) flags.system |= store::kSeen;
      else if (iequals(n, "\\Answered")) flags.system |= store::kAnswered;
      else if (iequals(n, "\\Flagged")) flags.system |= store::kFlagged;
      else if (iequals(n, "\\Deleted")) flags.system |= store::kDeleted;
      else if (iequals(n, "\\Draft")) flags.system |= store::kDraft;
      else if (iequals(n, "\\Recent")) continue;  // RFC 3501 2.3.2: not settable; ignored
      else {
        error = "Unknown system flag " + sanitize_text(n, 40);
        return std::nullopt;
      }
      continue;
    }
    if (!store::is_valid_keyword(n)) {
      error = "Invalid keyword " + sanitize_text(n, 40);
      return std::nullopt;
    }
    flags.keywords.push_back(n);
  }
  return flags;
}

std::vector<store::Uid> uids_of(const MailboxView& view, const std::vector<uint32_t>& seqs) {
  std::vector<store::Uid> out;
  out.reserve(seqs.size());
  for (uint32_t s : seqs) out.push_back(view.uid_at(s));
  return out;
}

}  // namespace

// ---- STORE -------------------------------------------------------------------------------------------

net::awaitable<Reply> Session::cmd_store(Command& cmd) {
  auto& a = cmd.as<StoreArgs>();
  auto seqs = resolve_set(a.set, cmd.uid);
  if (!seqs) co_return Reply::bad("Invalid message sequence number in the set");
  std::string error;
  auto flags = to_store_flags(a.flags, error);
  if (!flags) co_return Reply::bad(error);
  if (selected_->read_only) co_return Reply::no("[READ-ONLY] Mailbox is read-only");
  if (a.unchangedsince) condstore_ = true;  // RFC 7162 3.1: UNCHANGEDSINCE enables CONDSTORE
  if (seqs->empty()) co_return Reply::ok("STORE completed");
  store::MailboxId id = selected_->info.id;
  store::UidSet set = store::uid_set_of(uids_of(selected_->view, *seqs));
  store::FlagMode mode = a.mode == StoreArgs::Mode::add      ? store::FlagMode::add
                         : a.mode == StoreArgs::Mode::remove ? store::FlagMode::remove
                                                             : store::FlagMode::replace;
  auto unchanged = a.unchangedsince;
  store::Flags f = *flags;
  auto res = co_await offload([&] {
    return store().store_flags(id, set, mode, f, unchanged);
  });
  MailboxView& view = selected_->view;
  for (const auto& c : res.messages) announce_keywords(c.flags);
  for (const auto& c : res.messages) {
    uint32_t seq = view.seq_of(c.uid);
    if (!seq) continue;
    view.set_modseq(c.uid, c.modseq);
    // RFC 7162 3.1.3: with CONDSTORE, a changed message is reported (with MODSEQ) even for
    // .SILENT; without it .SILENT suppresses the FETCH (RFC 9051 6.4.6).
    bool report = !a.silent || (condstore_ && c.changed);
    if (!report) continue;
    store::MessageMeta meta;
    meta.uid = c.uid;
    meta.flags = c.flags;
    std::string items;
    if (cmd.uid || condstore_) items += "UID " + std::to_string(c.uid) + " ";
    items += flags_item(meta);
    if (condstore_) items += " MODSEQ (" + std::to_string(c.modseq) + ")";
    untagged(std::to_string(seq) + " FETCH (" + items + ")");
  }
  if (!res.modified.empty()) {
    std::vector<uint32_t> numbers;
    for (store::Uid u : res.modified) {
      if (cmd.uid) numbers.push_back(u);
      else if (uint32_t seq = view.seq_of(u)) numbers.push_back(seq);
    }
    co_return Reply::ok("[MODIFIED " + format_number_set(numbers) + "] Conditional STORE failed for some messages");
  }
  co_return Reply::ok("STORE completed");
}

// ---- COPY / MOVE -------------------------------------------------------------------------------------

net::awaitable<Reply> Session::cmd_copy(Command& cmd) {
  auto& a = cmd.as<CopyArgs>();
  bool move = cmd.kind == CommandKind::move;
  const char* verb = move ? "MOVE" : "COPY";
  auto seqs = resolve_set(a.set, cmd.uid);
  if (!seqs) co_return Reply::bad("Invalid message sequence number in the set");
  if (move && selected_->read_only) co_return Reply::no("[READ-ONLY] Mailbox is read-only");
  store::AccountId acct = account_id();
  // RFC 9051 6.4.7: a missing destination gets NO [TRYCREATE].
  auto opened = co_await open_mailbox(a.mailbox, MailboxUse::destination);
  if (!opened.info) co_return opened.refusal;
  const auto& dest = opened.info;
  if (seqs->empty()) co_return Reply::ok(std::string(verb) + " completed");
  store::MailboxId from = selected_->info.id, to = dest->id;
  store::UidSet set = store::uid_set_of(uids_of(selected_->view, *seqs));

  if (!move || from != to) {
    uint64_t limit = co_await quota_limit();
    if (limit > 0 && !move) {
      auto metas = co_await offload([&] { return store().messages(from, set); });
      uint64_t bytes = 0;
      for (const auto& m : metas) bytes += m.size;
      auto usage = co_await offload([&] { return store().quota_usage(acct); });
      if (usage.bytes + bytes > limit) co_return Reply::no("[OVERQUOTA] Quota exceeded");
    }
  }
  store::CopyResult res = co_await offload([&] {
    return move ? store().move(from, set, to) : store().copy(from, set, to);
  });
  if (res.uids.empty()) co_return Reply::ok(std::string(verb) + " completed (no messages)");
  std::vector<uint32_t> src, dst;
  for (const auto& [s, d] : res.uids) {
    src.push_back(s);
    dst.push_back(d);
  }
  std::string copyuid = "[COPYUID " + std::to_string(res.dest_uidvalidity) + " " +
                        format_number_list_in_order(src) + " " + format_number_list_in_order(dst) + "]";
  if (!move) co_return Reply::ok(copyuid + " COPY completed");
  // RFC 6851 4.3: COPYUID goes in an untagged OK before the expunges.
  untagged("OK " + copyuid + " Moved");
  report_expunged(res.expunged);
  co_return Reply::ok("MOVE completed");
}

// ---- EXPUNGE -----------------------------------------------------------------------------------------

net::awaitable<Reply> Session::cmd_expunge(Command& cmd) {
  auto& a = cmd.as<ExpungeArgs>();
  if (selected_->read_only) co_return Reply::no("[READ-ONLY] Mailbox is read-only");
  store::MailboxId id = selected_->info.id;
  std::optional<store::UidSet> only;
  if (a.uids) {
    // RFC 4315 2.1: only messages with UIDs in the set (and \Deleted) are expunged.
    auto seqs = resolve_set(*a.uids, true);
    if (!seqs) co_return Reply::bad("Invalid UID set");
    if (seqs->empty()) co_return Reply::ok("EXPUNGE completed");
    only = store::uid_set_of(uids_of(selected_->view, *seqs));
  }
  auto gone = co_await offload([&] { return store().expunge(id, only); });
  report_expunged(gone);
  co_return Reply::ok("EXPUNGE completed");
}

// ---- APPEND ------------------------------------------------------------------------------------------

namespace {

struct PreparedMessage {
  store::BlobWriter* writer = nullptr;  // a literal already spooled to a blob, or:
  std::string_view data;                // a literal that arrived in memory
  bool binary = false;                  // a literal8: stored as it came, bare LFs included
  uint64_t size = 0;
  store::Flags flags;
  int64_t internal_date = 0;
  int32_t internal_tz = 0;
};

// Runs on the blocking pool: each message's blob placed (written first if it came in memory)
// and parsed, then one store transaction for all. `committed` collects the placed blobs so
// the caller can remove them if this throws.
std::vector<store::AppendResult> append_all(store::MailStore& mail, store::BlobStore& blobs, store::MailboxId mailbox,
                                            std::vector<PreparedMessage>& prepared,
                                            std::vector<store::BlobId>& committed, uint64_t limit) {
  std::vector<store::AppendItem> items;
  for (auto& p : prepared) {
    std::unique_ptr<store::BlobWriter> owned;
    store::BlobWriter* writer = p.writer;
    if (!writer) {
      owned = blobs.create(2 * limit);
      if (p.binary) {
        owned->write(p.data);
      } else {
        std::string normalized;  // as command_reader.cpp stores spooled messages: bare LF -> CRLF
        CrlfNormalizer().feed(p.data, normalized);
        owned->write(normalized);
      }
      writer = owned.get();
    }
    store::AppendItem item;
    item.message.size = writer->bytes_written();  // the stored size, CRs added included
    item.message.blob = writer->commit_unsynced();
    committed.push_back(item.message.blob);
    item.message.blob_synced = false;
    item.message.internal_date = p.internal_date;
    item.message.internal_tz = p.internal_tz;
    item.message.cached_structure = mime::serialize(mime::parse_message(blobs.open(item.message.blob).data()));
    item.flags = p.flags;
    items.push_back(std::move(item));
  }
  return mail.append_all(mailbox, items);
}

}  // namespace

static net::awaitable<void> remove_blobs(Session& s, std::vector<store::BlobId> ids) {
  if (ids.empty()) co_return;
  co_await s.offload([&] {
    for (const auto& id : ids) s.s_.blob_store->remove(id);
  });
}

net::awaitable<Reply> Session::cmd_append(Command& cmd) {
  auto& a = cmd.as<AppendArgs>();
  store::AccountId acct = account_id();
  // RFC 9051 6.3.12: NO [TRYCREATE] when the mailbox does not exist.
  auto opened = co_await open_mailbox(a.mailbox, MailboxUse::destination);
  if (!opened.info) co_return opened.refusal;
  const auto& dest = opened.info;

  std::vector<PreparedMessage> prepared;
  uint64_t total = 0;
  for (auto& msg : a.messages) {
    PreparedMessage p;
    std::string error;
    auto flags = to_store_flags(msg.flags, error);
    if (!flags) co_return Reply::bad(error);
    p.flags = *flags;
    p.size = msg.message.size;
    if (msg.message.spooled() && msg.message.spool_path.rfind("blob:", 0) == 0) {
      size_t index = std::stoul(msg.message.spool_path.substr(5));
      if (index >= append_blobs_.size() || !append_blobs_[index]) co_return Reply::no("[SERVERBUG] Lost message data");
      p.writer = append_blobs_[index].get();
    } else {
      p.data = msg.message.data;
      p.binary = msg.message.binary;
      p.size = msg.message.data.size();
    }
    if (p.size == 0) co_return Reply::no("[CANNOT] Cannot append an empty message");
    if (p.size > append_limit()) co_return Reply::no("[TOOBIG] Message is larger than APPENDLIMIT");
    if (msg.internal_date) {
      p.internal_date = int64_t(to_time_t(*msg.internal_date));
      p.internal_tz = msg.internal_date->zone_minutes;
    } else {
      p.internal_date = int64_t(std::time(nullptr));
    }
    total += p.size;
    prepared.push_back(std::move(p));
  }
  uint64_t limit = co_await quota_limit();
  if (limit > 0) {
    auto usage = read_in_place([&] { return store().quota_usage(acct); });
    if (usage.bytes + total > limit) co_return Reply::no("[OVERQUOTA] Quota exceeded");
  }

  // RFC 3502 3: MULTIAPPEND is all or nothing. One hop to the blocking pool places every blob
  // (unsynced), parses each once for the structure cache and appends them all in one store
  // transaction; the group commit syncs the blobs before the rows commit, so OK [APPENDUID]
  // still means "on disk". When it fails no row references the blobs, and they are removed.
  std::vector<store::BlobId> committed;
  std::vector<store::AppendResult> results;
  std::optional<Reply> failure;
  store::MailboxId mailbox = dest->id;
  try {
    results = co_await offload([&] { return append_all(store(), *s_.blob_store, mailbox, prepared, committed, append_limit()); });
  } catch (const store::StoreError& e) {
    log::warn("imap.append_failed", {{"conn", conn_.id()}, {"error", e.what()}});
    std::string text = sanitize_text(e.what());
    if (e.code() == store::StoreErrc::limit_exceeded) failure = Reply::no("[TOOBIG] " + text);
    else if (e.code() == store::StoreErrc::invalid_argument) failure = Reply::no("[CANNOT] " + text);
    else failure = Reply::no("[SERVERBUG] APPEND failed: " + text);
  } catch (const std::exception& e) {
    log::error("imap.append_failed", {{"conn", conn_.id()}, {"error", e.what()}});
    failure = Reply::no("[SERVERBUG] APPEND failed: " + sanitize_text(e.what()));
  }
  append_blobs_.clear();  // their writers are finished either way
  if (failure) {
    co_await remove_blobs(*this, committed);  // a failed append leaves its blobs to the caller
    co_return *failure;
  }
  std::vector<uint32_t> new_uids;
  for (const auto& r : results) new_uids.push_back(r.uid);
  uint32_t uidvalidity = results.front().uidvalidity;
  co_return Reply::ok("[APPENDUID " + std::to_string(uidvalidity) + " " + format_number_list_in_order(new_uids) +
                      "] APPEND completed");
}

}  // namespace kurier::imap
