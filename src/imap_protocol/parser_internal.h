// Pieces of the IMAP command parser shared between parser.cpp, parse_search.cpp and
// parse_fetch.cpp. Internal: sessions include parser.h.
#pragma once
#include "imap_protocol/command.h"
#include "imap_protocol/parser.h"
#include "imap_protocol/reader.h"

namespace kurier::imap::detail {

SequenceSet read_sequence_set(Reader& r, std::string_view what, bool allow_saved);
uint64_t read_mod_sequence_value(Reader& r, std::string_view what);  // 1 .. 2^63-1
uint64_t read_mod_sequence_valzer(Reader& r, std::string_view what); // 0 .. 2^63-1
std::vector<std::string> read_flag_list(Reader& r, std::string_view what);

SearchArgs parse_search(Reader& r, bool allow_saved);
FetchArgs parse_fetch(Reader& r, bool uid, bool allow_saved);
StoreArgs parse_store(Reader& r, bool allow_saved);

}  // namespace kurier::imap::detail
