// Buffered reading over a Connection, shared by every line-based protocol (SMTP/LMTP RFC 5321
// §2.3.8, IMAP RFC 9051 §2.2, POP3 RFC 1939 §3, ManageSieve RFC 5804 §1.2): lines end in CRLF,
// a bare LF is accepted too. Also streams byte counts (IMAP literals, SMTP BDAT) and raw chunks
// (the SMTP DATA decoder) without holding them whole. Memory is bounded by the buffer size
// (64 KiB, or max_len + 2 if a caller asks for longer lines).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "net/connection.h"

namespace kurier::net {

enum class LineStatus { ok, too_long, eof, timeout, shutdown, error };
const char* to_string(LineStatus status);

struct LineResult {
  LineStatus status = LineStatus::ok;
  std::string line;  // without the CRLF / LF; empty unless status is ok
  bool ok() const { return status == LineStatus::ok; }
};

struct ChunkResult {
  IoStatus status = IoStatus::ok;
  std::string_view data;  // valid until the next call on the reader
};

class LineReader {
 public:
  static constexpr std::size_t kDefaultBufferSize = 64 * 1024;
  // The buffer starts (and, between commands, returns to) this size and grows up to the limit
  // only while data arrives faster than it is consumed: an idle connection — thousands of IMAP
  // IDLE clients — then costs a few KiB instead of the whole limit.
  static constexpr std::size_t kInitialBufferSize = 4 * 1024;

  explicit LineReader(Connection& conn, std::size_t buffer_size = kDefaultBufferSize);

  // Reads one line of at most max_len bytes (terminator excluded). A longer line is consumed up
  // to and including its LF and reported as too_long, so the protocol can answer an error and
  // read the next command. At EOF an unterminated partial line is dropped.
  awaitable<LineResult> read_line(std::size_t max_len);
  // read_line for "waiting for the next command": if the server is shutting down, the
  // connection's farewell line is written, the connection closed and status is shutdown.
  awaitable<LineResult> read_command(std::size_t max_len);
  // Streams exactly n bytes to sink in pieces of at most the buffer size. False on EOF, timeout
  // or error (see last_status()).
  awaitable<bool> read_exact(std::uint64_t n, std::function<void(std::string_view)> sink);
  // Returns whatever is buffered, or reads once if nothing is; the bytes count as consumed.
  awaitable<ChunkResult> read_chunk();
  // Gives back the last n bytes of the chunk just returned by read_chunk() (e.g. what follows
  // the end of DATA), to be read again by the next call.
  void unread(std::size_t n);

  bool has_buffered() const { return end_ > begin_; }
  // Drops buffered bytes; returns how many. RFC 3207 §5 / RFC 2595 §3.1: plaintext that
  // arrived before the TLS handshake must not be processed after it.
  std::size_t discard_buffered();
  // STARTTLS: discards buffered plaintext, then runs the server handshake.
  awaitable<bool> start_tls();
  // COMPRESS=DEFLATE: bytes already buffered belong to the compressed stream.
  void start_deflate();

  IoStatus last_status() const { return last_status_; }
  std::size_t capacity() const { return buf_.size(); }
  Connection& connection() { return conn_; }

 private:
  awaitable<IoStatus> fill();
  awaitable<LineResult> discard_rest_of_line();
  void reserve_for_line(std::size_t max_len);
  LineResult fail(IoStatus status);

  Connection& conn_;
  void grow();
  void shrink_if_empty();

  std::size_t limit_;  // largest the buffer may grow to
  std::vector<char> buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t last_chunk_size_ = 0;
  IoStatus last_status_ = IoStatus::ok;
};

}  // namespace kurier::net
