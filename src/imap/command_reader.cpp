// Reading one IMAP command off the connection: the first line, then for every literal
// announcement its bytes and the line after it (RFC 9051 4.3, LITERAL+/- RFC 7888). Bounds
// every input: line length, command bytes (literals included), APPEND messages by APPENDLIMIT
// (RFC 7889), which stream into blobs as they arrive instead of into memory. A refused
// synchronizing literal gets "NO [TOOBIG]" before any byte is sent; a refused
// non-synchronizing one ends the connection (its bytes are already coming).
#include "imap/session_internal.h"

#include "common/crlf.h"
#include "common/log.h"
#include "common/strings.h"
#include "imap_protocol/literal.h"
#include "imap_protocol/parser.h"
#include "imap_protocol/quote.h"

namespace kurier::imap {
namespace {

// The tag and command name of a first line, for APPEND detection and TOOBIG replies.
struct LineHead {
  std::optional<std::string> tag;
  bool is_append = false;
  size_t args_offset = 0;  // where the arguments after "APPEND " begin
};

LineHead line_head(std::string_view line) {
  LineHead h;
  h.tag = read_tag(line);
  if (!h.tag) return h;
  std::string_view rest = line.substr(h.tag->size() + 1);
  if (istarts_with(rest, "APPEND ")) {
    h.is_append = true;
    h.args_offset = h.tag->size() + 1 + 7;
  }
  return h;
}

// Where a literal announcement at the end of line starts ("{" or "~{").
size_t announcement_start(std::string_view line) {
  size_t pos = line.rfind('{');
  if (pos == std::string_view::npos) return line.size();
  if (pos > 0 && line[pos - 1] == '~') --pos;
  return pos;
}

// A MULTIAPPEND (RFC 3502) may carry at most this many APPENDLIMIT-sized messages in total.
constexpr uint64_t kMaxAppendTotal = 10;
// Before login a command needs no more than a LOGIN with a long password: literals are refused
// past this (RFC 7888 4 lets a server refuse non-synchronizing literals it will not take).
constexpr uint64_t kMaxPreLoginCommand = 8 * 1024;
// A literal's buffer grows in steps as its bytes arrive (std::string's doubling after this).
constexpr uint64_t kLiteralReserveStep = 64 * 1024;

// The largest command (lines and non-message literals) this session accepts now.
uint64_t command_limit(const Session& s) {
  if (s.state_ == State::not_authenticated)
    return std::min<uint64_t>(kMaxPreLoginCommand, s.s_.config.limits.max_command_bytes);
  return s.s_.config.limits.max_command_bytes;
}

}  // namespace

std::size_t command_line_limit(const config::Config& c) {
  // Long UID sets (RFC 7162 4 recommends accepting at least 8192 octets) are common; allow up
  // to 64 KiB lines unless max_line_length is larger, and never more than a whole command.
  uint64_t limit = std::max<uint64_t>(uint64_t(c.limits.max_line_length), 64 * 1024);
  return std::size_t(std::min<uint64_t>(limit, c.limits.max_command_bytes));
}

// True when the literal announced at the end of `line` is an APPEND message (and not the
// mailbox name, the one other literal an APPEND may carry: "tag APPEND {5}").
static bool is_message_literal(const LineHead& head, const RawCommand& raw, std::string_view line) {
  if (!head.is_append) return false;
  if (!raw.literals.empty()) return true;
  size_t from = std::min(head.args_offset, line.size());
  size_t to = std::max(from, announcement_start(line));
  return !trim(line.substr(from, to - from)).empty();
}

// Answers a literal that will not be read. A synchronizing literal's client waits for "+", so
// the command simply fails; a non-synchronizing literal's bytes are already on their way and
// there is no way to find the next command after them (RFC 7888 4): say BYE and close.
static net::awaitable<ReadStatus> refuse_literal(Session& s, const std::string& tag_prefix,
                                                 const std::string& reply, bool non_synchronizing) {
  s.raw(tag_prefix + reply + "\r\n");
  if (!non_synchronizing) co_return ReadStatus::handled;
  s.untagged("BYE Literal refused; closing the connection");
  co_await s.flush();
  co_return ReadStatus::end;
}

// The reason to refuse an announced literal before reading it, or "".
static net::awaitable<std::string> literal_refusal(Session& s, const LiteralAnnouncement& ann, bool is_message,
                                                   bool tagged, uint64_t message_bytes) {
  if (!ann.ok()) {
    ++s.bad_commands_;
    if (ann.error != LiteralAnnouncement::Error::too_large || !tagged)
      co_return "BAD " + sanitize_text(ann.error_text);
    if (is_message) co_return "NO [TOOBIG] Message is larger than APPENDLIMIT " + std::to_string(s.append_limit());
    co_return "NO [TOOBIG] Command is too long";
  }
  if (!is_message) co_return "";
  // No spooling for clients that are not logged in; NO [OVERQUOTA] (RFC 9208 5.1) before the
  // bytes are sent when the client waits for "+".
  if (s.state_ == State::not_authenticated) {
    ++s.bad_commands_;
    co_return "BAD APPEND needs authentication first";
  }
  if (!ann.non_synchronizing) {
    bool over = co_await s.would_exceed_quota(ann.size + message_bytes);
    if (over) co_return "NO [OVERQUOTA] Quota exceeded";
  }
  co_return "";
}

// Reads a literal's bytes: APPEND messages stream into a new blob (spool_path "blob:<index>"),
// anything else into memory (bounded by max_command_bytes).
// RFC 9051 2.2: lines end with CRLF. A Unix client's bare LFs are stored as CRLF, so the size
// clients are told (RFC822.SIZE, POP3 LIST) is the size of what they are sent; a literal8
// (RFC 3516 "~{n}") may carry binary content and is stored as it came.
static net::awaitable<std::optional<Literal>> read_literal(Session& s, const LiteralAnnouncement& ann,
                                                           bool is_message) {
  Literal lit;
  lit.size = ann.size;
  lit.binary = ann.binary;
  bool ok = false;
  if (is_message) {
    std::unique_ptr<store::BlobWriter> writer;
    try {
      // Room for a CR before every LF: the announced size passed APPENDLIMIT already.
      writer = s.s_.blob_store->create(ann.binary ? s.append_limit() : 2 * s.append_limit());
    } catch (const std::exception& e) {
      s.spool_error_ = e.what();
    }
    store::BlobWriter* w = writer.get();
    lit.spool_path = "blob:" + std::to_string(s.append_blobs_.size());
    s.append_blobs_.push_back(std::move(writer));
    std::string* error = &s.spool_error_;
    CrlfNormalizer crlf;
    CrlfNormalizer* normalizer = ann.binary ? nullptr : &crlf;
    ok = co_await s.reader_.read_exact(ann.size, [w, error, normalizer](std::string_view chunk) {
      if (!error->empty()) return;  // discarded: keep reading to stay in step with the client
      try {
        if (!normalizer) return w->write(chunk);
        std::string normalized;
        normalizer->feed(chunk, normalized);
        w->write(normalized);
      } catch (const std::exception& e) {
        *error = e.what();
      }
    });
  } else {
    // Memory follows the bytes that arrive, not the size announced: a client that announces a
    // large literal and sends nothing costs nothing.
    lit.data.reserve(std::min<uint64_t>(ann.size, kLiteralReserveStep));
    std::string* data = &lit.data;
    ok = co_await s.reader_.read_exact(ann.size, [data](std::string_view chunk) { data->append(chunk); });
  }
  if (!ok) co_return std::nullopt;
  co_return lit;
}

// The command whose APPEND literal could not be spooled (read whole, but not stored): a tagged
// NO that tells the client to retry later, never a dropped connection. RFC 5530 UNAVAILABLE:
// "temporary failure because a subsystem is down".
static net::awaitable<ReadStatus> refuse_unspooled_append(Session& s, const std::string& tag_prefix) {
  log::warn("imap.append_spool_failed", {{"conn", s.conn_.id()}, {"error", s.spool_error_}});
  s.spool_error_.clear();
  s.append_blobs_.clear();
  s.raw(tag_prefix + "NO [UNAVAILABLE] The message could not be stored now; try again later\r\n");
  co_return ReadStatus::handled;
}

// Reads one whole command: the first line, then for every literal announcement the literal's
// bytes and the line after it.
net::awaitable<ReadStatus> read_raw_command(Session& s, RawCommand& raw) {
  const std::size_t max_line = command_line_limit(s.s_.config);
  auto first = co_await s.reader_.read_command(max_line);
  if (first.status == net::LineStatus::too_long) {
    ++s.bad_commands_;
    s.untagged("BAD Command line too long");
    co_return ReadStatus::handled;
  }
  if (!first.ok()) {
    if (first.status == net::LineStatus::timeout) {
      s.untagged("BYE Autologout; idle for too long");
      co_await s.flush();
    }
    co_return ReadStatus::end;
  }
  LineHead head = line_head(first.line);
  const std::string tag_prefix = head.tag ? *head.tag + " " : "* ";
  raw.lines.push_back(std::move(first.line));
  uint64_t command_bytes = raw.lines.back().size();  // lines and non-message literals
  uint64_t message_bytes = 0;                         // APPEND message literals
  for (;;) {
    const std::string& line = raw.lines.back();
    bool is_message = is_message_literal(head, raw, line);
    // Message literals are bounded by APPENDLIMIT each (and a MULTIAPPEND by kMaxAppendTotal
    // of them); everything else in a command by max_command_bytes.
    uint64_t room = is_message ? std::min<uint64_t>(s.append_limit(), kMaxAppendTotal * s.append_limit() - message_bytes)
                               : (command_limit(s) > command_bytes ? command_limit(s) - command_bytes : 0);
    auto ann = literal_at_end(line, room);
    if (!ann && !s.spool_error_.empty()) co_return co_await refuse_unspooled_append(s, tag_prefix);
    if (!ann) co_return ReadStatus::command;
    std::string refusal = co_await literal_refusal(s, *ann, is_message, head.tag.has_value(), message_bytes);
    if (!refusal.empty()) co_return co_await refuse_literal(s, tag_prefix, refusal, ann->non_synchronizing);
    if (!ann->non_synchronizing) {
      s.raw("+ Ready for literal data\r\n");
      if (!co_await s.flush()) co_return ReadStatus::end;
    }
    auto lit = co_await read_literal(s, *ann, is_message);
    if (!lit) co_return ReadStatus::end;
    (is_message ? message_bytes : command_bytes) += ann->size;
    raw.literals.push_back(std::move(*lit));
    auto next = co_await s.reader_.read_line(max_line);
    if (!next.ok() && next.status != net::LineStatus::too_long) co_return ReadStatus::end;
    if (next.status == net::LineStatus::too_long || command_bytes + next.line.size() > command_limit(s)) {
      ++s.bad_commands_;
      // The rest of the command may announce more literals: only a BYE is safe for LITERAL+.
      co_return co_await refuse_literal(s, tag_prefix, "BAD Command is too long", true);
    }
    command_bytes += next.line.size();
    raw.lines.push_back(std::move(next.line));
  }
}

}  // namespace kurier::imap
