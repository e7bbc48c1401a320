// One client connection, shared by every protocol: a TCP or unix-domain stream that may be
// upgraded to TLS in place (STARTTLS, RFC 3207 / RFC 2595 / RFC 5804) or start with TLS (implicit
// TLS, RFC 8314), and may then be compressed (COMPRESS=DEFLATE, RFC 4978 — applied to the
// cleartext, below the TLS layer's plaintext side: socket <- TLS <- deflate <- protocol).
//
// Threading: all calls except request_shutdown(), shutdown_requested(), post_close() and the
// plain accessors must come from the connection's strand (the coroutine the Server started).
// One read at a time; writes may come from several coroutines on the strand (e.g. an IMAP IDLE
// notifier): they are queued and never interleave.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/asio_fwd.h"

namespace kurier::net {

enum class IoStatus {
  ok,
  eof,       // the peer closed the connection (or the connection was closed locally)
  timeout,   // no read/write progress within set_timeout(); the session should close
  shutdown,  // the server is stopping: the farewell line was written and the connection closed
  error,     // any other failure (reset, TLS alert, invalid compressed data)
};
const char* to_string(IoStatus status);

struct ReadResult {
  std::size_t size = 0;
  IoStatus status = IoStatus::ok;
};

// For Received: headers (RFC 5321 §4.4 allows a comment, e.g. "(using TLSv1.3 with cipher ...)").
struct TlsInfo {
  std::string protocol;  // "TLSv1.3"
  std::string cipher;    // "TLS_AES_256_GCM_SHA384"
  int bits = 0;          // 256
};

class Connection {
 public:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Reads at least one byte into buf (decompressed if deflate is active). Never throws for I/O
  // failures: the status says what happened.
  awaitable<ReadResult> read_some(std::span<char> buf);
  // Writes all bytes (compressed and/or encrypted as active). Returns false if the connection
  // failed, timed out or is closed; the session should then end.
  awaitable<bool> write(std::string_view data);
  // Gather write, e.g. std::array<std::string_view, 3> parts{tag, " OK ", text};
  // (g++ 12 cannot build a braced initializer_list inside a co_await expression, hence no
  // initializer_list overload.)
  awaitable<bool> write(std::span<const std::string_view> parts);

  // Server-side TLS handshake with the Server's context, bounded by the handshake timeout.
  // Returns false (and logs why) if it fails or TLS is unavailable; the connection is then
  // closed. Protocols should call LineReader::start_tls(), which also drops buffered plaintext.
  awaitable<bool> start_tls();
  // Client-side handshake (outbound SMTP) with the client context given at construction; sends
  // SNI and, if verify_host, checks the certificate against host (RFC 6125).
  awaitable<bool> start_tls_client(std::string host, bool verify_host);
  bool is_tls() const;
  bool tls_available() const;  // a context is configured, so STARTTLS may be advertised
  TlsInfo tls_info() const;    // empty fields when not TLS
  // The certificates the server sent (DER, leaf first) on a client connection; empty when not
  // TLS. The outbound queue checks them itself (queue/tls_policy.h: PKIX, DANE), so it can say
  // why a check failed.
  std::vector<std::string> peer_certificate_chain() const;

  // RFC 4978: from now on reads inflate and writes deflate. `already_received` are bytes read
  // from the transport after the COMPRESS command that belong to the compressed stream.
  void start_deflate(std::string_view already_received = {});
  bool is_deflate() const;

  std::uint64_t id() const;           // process-unique, for logs
  const std::string& remote_ip() const;  // "192.0.2.1", "2001:db8::1"; "local" for unix sockets
  const std::string& local_address() const;  // "127.0.0.1:25", or the socket path
  bool is_loopback() const;  // TCP from 127.0.0.0/8 or ::1
  bool is_local() const;     // unix-domain socket (e.g. the LMTP socket): trusted, not TLS
  std::uint64_t bytes_in() const;
  std::uint64_t bytes_out() const;

  // Idle timeout: a read or write that makes no progress within it fails with
  // IoStatus::timeout (0 = none). The session may still write one last line, then must close.
  void set_timeout(std::chrono::milliseconds idle);
  std::chrono::milliseconds timeout() const;
  void set_handshake_timeout(std::chrono::milliseconds limit);  // default 30 s

  // Graceful stop. Thread-safe. A read made while waiting for the next command (see
  // set_waiting_for_command) writes `farewell_line` (CRLF appended), closes and returns
  // IoStatus::shutdown — immediately if such a read is already pending. A command in progress
  // is not interrupted.
  void request_shutdown(std::string farewell_line);
  bool shutdown_requested() const;
  void set_waiting_for_command(bool waiting);  // LineReader::read_command() manages this
  // Writes the farewell line and closes; returns IoStatus::shutdown.
  awaitable<IoStatus> finish_shutdown();

  void close();       // on the strand
  void post_close();  // from any thread
  bool is_open() const;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace kurier::net
