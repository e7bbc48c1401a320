// IMAP server responses for kurier's import client, pure (RFC 9051 7 and its formal syntax in
// 9; RFC 3501 for IMAP4rev1 servers). A response is the lines the server sent, each possibly
// ending in a literal announcement "{n}" (RFC 9051 4.3) followed by n bytes. The client reads
// the bytes of a literal itself — into memory when small, into a blob when it is a message
// body — and hands the parser Segments, so a message body never has to be held in memory here.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/types.h"

namespace kurier::mail_import {

struct Segment {
  std::string text;                 // one line without CRLF, "{n}" at its end if a literal follows
  bool has_literal = false;
  std::string literal;              // the literal's bytes, when kept in memory
  int external = -1;                // >= 0: the literal went elsewhere (the client's index)
};

// "{123}" or "{123+}" at the end of a line: the literal's size (RFC 9051 4.3, 7888 LITERAL+).
std::optional<uint64_t> trailing_literal_size(std::string_view line);

struct Value {
  enum class Kind { atom, string, nil, list, external };
  Kind kind = Kind::atom;
  std::string text;                 // atom or string (quoted strings unescaped, literals as is)
  std::vector<Value> items;         // list
  int external = -1;                // Kind::external
  bool is_atom(std::string_view name) const;  // case-insensitive
};

struct Response {
  std::string tag;                  // "*", "+", or the command's tag
  std::vector<Value> values;        // everything after the tag
  std::string text;                 // the first line after the tag (for messages)
};

// nullopt with `error` when the segments are not a well-formed response.
std::optional<Response> parse_response(const std::vector<Segment>& segments, std::string& error);

// "* OK [UIDVALIDITY 3857529045] ..." and the tagged "OK [...]": the code's atoms.
std::vector<std::string> response_code(const Response& r);

struct ListEntry {
  std::vector<std::string> attributes;
  std::string delimiter;            // "" for NIL
  std::string name;                 // as sent (modified UTF-7 unless UTF8=ACCEPT)
};
// "* LIST (...) "/" name" or "* LSUB ..."; nullopt for other responses.
std::optional<ListEntry> parse_list(const Response& r);

// "* STATUS name (MESSAGES n UIDNEXT n UIDVALIDITY n)": item -> number.
std::optional<std::map<std::string, uint64_t>> parse_status(const Response& r);

struct FetchData {
  uint32_t seq = 0;
  std::optional<store::Uid> uid;
  std::optional<store::Flags> flags;   // \Recent dropped, unknown system flags dropped
  std::optional<std::string> internal_date;
  std::optional<uint64_t> size;
  std::optional<Value> body;          // BODY[]: a string, literal or external value
};
// "* n FETCH (...)"; nullopt for other responses.
std::optional<FetchData> parse_fetch(const Response& r);

}  // namespace kurier::mail_import
