// Evaluating a SEARCH program (RFC 9051 6.4.4, RFC 3501 6.4.4) against the messages a session
// has announced, and writing the answer (SEARCH, or ESEARCH per RFC 4731 with CONDSTORE's
// MODSEQ, RFC 7162 3.1.5 and RFC 4731 3.2). No I/O of its own beyond reading message bytes
// through StoredMessage, so a session runs run_search() on the blocking pool (Runtime::offload).
// - Text keys match case-insensitively (ASCII) as substrings; headers after RFC 2047 decoding,
//   address headers also as a reader shows them ("Name <box@host>", mime::address_list_text),
//   bodies after Content-Transfer-Encoding decoding and conversion to UTF-8.
// - BEFORE/ON/SINCE compare the internal date's day in the zone it was recorded in;
//   SENTBEFORE/SENTON/SENTSINCE the Date: header's day in its own zone ("disregarding time and
//   timezone").
// - Sequence sets and "$" are resolved once into sorted ranges, so each message is checked in
//   O(log ranges): SEARCH over n messages is O(n log n), never O(n x set size).
#pragma once
#include <cstdint>
#include <ctime>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "imap_protocol/command.h"
#include "imap/mailbox_view.h"
#include "imap/stored_message.h"
#include "store/types.h"

namespace kurier::imap {

bool search_needs_content(const SearchKey& key);  // a key reads headers or bodies
bool search_uses_modseq(const SearchKey& key);    // RFC 7162 3.1.5: the MODSEQ key

class SearchEvaluator {
 public:
  // saved: the SEARCHRES result ("$"), UIDs in any order. now: for OLDER/YOUNGER.
  SearchEvaluator(const SearchKey& program, const MailboxView& view, std::vector<store::Uid> saved,
                  std::time_t now);
  // True when the message (sequence number seq in the view) matches the whole program. A
  // message whose bytes cannot be read matches no content key.
  bool matches(uint32_t seq, StoredMessage& message);

 private:
  struct Candidate;
  bool match(const SearchKey& k, Candidate& c);
  bool match_sent_date(const SearchKey& k, Candidate& c);
  bool match_header(const SearchKey& k, Candidate& c);
  bool in_set(const SearchKey& k, uint32_t seq, store::Uid uid) const;
  void resolve_sets(const SearchKey& k);

  const SearchKey& program_;
  const MailboxView& view_;
  std::vector<store::Uid> saved_;  // sorted
  std::time_t now_;
  std::unordered_map<const SearchKey*, store::UidSet> ranges_;
};

struct SearchHit {
  uint32_t seq = 0;
  store::Uid uid = 0;
  store::ModSeq modseq = 0;
};

// The matching messages among `messages` (metadata in UID order) that the view knows, in
// sequence order. `structures` maps UIDs to cached structures (may miss some: then parsed).
std::vector<SearchHit> run_search(SearchEvaluator& eval, const MailboxView& view,
                                  std::span<const store::MessageMeta> messages,
                                  const std::unordered_map<store::Uid, std::string>& structures,
                                  store::BlobStore* blobs);

// "SEARCH 2 5 (MODSEQ 9)" (RFC 3501 7.2.5, RFC 7162 3.1.5), without "* ".
std::string format_search_response(const std::vector<SearchHit>& hits, bool uid, bool with_modseq);
// "ESEARCH (TAG "a") UID MIN 2 ALL 2:5 MODSEQ 9" (RFC 4731 3.1), without "* "; empty when only
// SAVE was asked (RFC 5182 2.1: no ESEARCH then). returns empty means ALL. With a MODSEQ key,
// MODSEQ is the highest mod-sequence of the messages returned (RFC 4731 3.2): of the MIN or
// MAX message alone, of both when only MIN and MAX, else of every match.
std::string format_esearch_response(const std::string& tag, const std::vector<SearchHit>& hits,
                                    bool uid, const std::vector<SearchReturn>& returns,
                                    bool with_modseq);
// What RETURN (SAVE ...) keeps for "$" (RFC 5182 2.4): with MIN and/or MAX but neither ALL nor
// COUNT, only those messages; otherwise every match.
std::vector<store::Uid> saved_search_result(const std::vector<SearchHit>& hits,
                                            const std::vector<SearchReturn>& returns);

}  // namespace kurier::imap
