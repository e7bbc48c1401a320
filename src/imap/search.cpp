// SEARCH and UID SEARCH (RFC 9051 6.4.4, RFC 3501 6.4.4) with ESEARCH (RFC 4731), SEARCHRES
// (RFC 5182), CONDSTORE's MODSEQ key (RFC 7162 3.1.5) and WITHIN's OLDER/YOUNGER (RFC 5032).
// The matching itself is imap/search_program.h; it runs on the blocking pool, because reading
// message bytes (mmap'd blobs) and decoding them may block and take long for a big mailbox.
// Only a search of message rows alone in a small mailbox runs in place (kInPlaceMessages).
// - Only CHARSET UTF-8 and US-ASCII are accepted (RFC 9051 6.4.4: else NO [BADCHARSET]).
#include "imap/session_internal.h"

#include <algorithm>
#include <ctime>
#include <span>
#include <unordered_map>

#include "imap/search_program.h"
#include "net/runtime.h"

namespace kurier::imap {
namespace {

constexpr size_t kBatch = 1000;  // messages whose cached structures are held at once
// A search that reads no message content, in a mailbox of at most this many messages, runs in
// place on the I/O thread (Session::read_in_place): it reads the message rows, about what SEARCH
// ALL answers. Others run on the blocking pool.
constexpr size_t kInPlaceMessages = 1000;

// Everything one SEARCH reads from the store and matches, off the I/O thread. Structures are
// read in batches, so a big mailbox is never held in memory whole.
std::vector<SearchHit> search_mailbox(store::MailStore& store, store::BlobStore* blobs, store::MailboxId id,
                                      const SearchKey& program, const MailboxView& view,
                                      const std::vector<store::Uid>& saved) {
  auto metas = store.messages(id);
  SearchEvaluator eval(program, view, saved, std::time(nullptr));
  bool content = search_needs_content(program);
  std::vector<SearchHit> hits;
  for (size_t b = 0; b < metas.size(); b += kBatch) {
    std::span<const store::MessageMeta> batch(metas.data() + b, std::min(kBatch, metas.size() - b));
    std::unordered_map<store::Uid, std::string> structures;
    if (content) {
      auto [low, high] = std::minmax_element(batch.begin(), batch.end(), [](const auto& x, const auto& y) { return x.uid < y.uid; });
      store::UidSet uids{{low->uid, high->uid}};
      for (auto& [uid, data] : store.cached_structures(id, uids)) structures[uid] = std::move(data);
    }
    auto found = run_search(eval, view, batch, structures, blobs);
    hits.insert(hits.end(), found.begin(), found.end());
  }
  std::sort(hits.begin(), hits.end(), [](const SearchHit& x, const SearchHit& y) { return x.seq < y.seq; });
  return hits;
}

}  // namespace

net::awaitable<Reply> Session::cmd_search(Command& cmd) {
  auto& a = cmd.as<SearchArgs>();
  if (a.charset && *a.charset != "UTF-8" && *a.charset != "US-ASCII")
    co_return Reply::no("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
  bool modseq_key = search_uses_modseq(a.program);
  if (modseq_key) condstore_ = true;  // RFC 7162 3.1: a MODSEQ search enables CONDSTORE
  store::MailboxId id = selected_->info.id;
  // The session is suspended while the pool reads view and saved result: nothing changes them.
  const MailboxView& view = selected_->view;
  auto search = [&] { return search_mailbox(store(), s_.blob_store, id, a.program, view, saved_result_); };
  std::vector<SearchHit> hits;
  if (!search_needs_content(a.program) && view.size() <= kInPlaceMessages)
    hits = read_in_place(search);
  else
    hits = co_await offload(search);

  // RFC 9051 6.4.4: an IMAP4rev2 session always gets ESEARCH responses.
  if (!a.esearch && !rev2_) {
    untagged(format_search_response(hits, cmd.uid, modseq_key));
    co_return Reply::ok("SEARCH completed");
  }
  if (std::find(a.returns.begin(), a.returns.end(), SearchReturn::save) != a.returns.end())
    saved_result_ = saved_search_result(hits, a.returns);
  std::string line = format_esearch_response(cmd.tag, hits, cmd.uid, a.returns, modseq_key);
  if (!line.empty()) untagged(line);
  co_return Reply::ok("SEARCH completed");
}

}  // namespace kurier::imap
