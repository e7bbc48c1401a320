// Connection implementation (see connection.h). Layering: socket <- TLS <- deflate <- protocol.
// Timeouts are classic Asio: a timer per direction that cancels the socket's pending operations
// when it fires; a generation counter makes a late-firing timer harmless.
#include "net/connection.h"

#include <openssl/ssl.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <vector>

#include "common/log.h"
#include "net/connection_factory.h"
#include "net/deflate.h"
#include "net/tls.h"

namespace kurier::net {
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using boost::system::error_code;
using GenericSocket = asio::generic::stream_protocol::socket;
using TlsStream = ssl::stream<GenericSocket&>;
using Millis = std::chrono::milliseconds;

namespace {

std::atomic<std::uint64_t> g_next_connection_id{1};
constexpr std::size_t kCompressedChunk = 16 * 1024;
constexpr std::size_t kDeflateFlushAt = 64 * 1024;
constexpr Millis kFarewellWriteLimit{5000};

struct Deadline {
  explicit Deadline(const Executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  std::uint64_t generation = 0;
  bool fired = false;
};

std::string normalized_ip(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
  return a.to_string();
}

}  // namespace

const char* to_string(IoStatus status) {
  switch (status) {
    case IoStatus::ok: return "ok";
    case IoStatus::eof: return "eof";
    case IoStatus::timeout: return "timeout";
    case IoStatus::shutdown: return "shutdown";
    case IoStatus::error: return "error";
  }
  return "error";
}

struct Connection::Impl : std::enable_shared_from_this<Connection::Impl> {
  Impl(GenericSocket s, std::shared_ptr<ssl::context> context)
      : strand(s.get_executor()),
        socket(std::move(s)),
        tls_context(std::move(context)),
        read_deadline(strand),
        write_deadline(strand),
        write_gate(strand, asio::steady_timer::time_point::max()),
        id(g_next_connection_id.fetch_add(1)) {}

  Executor strand;
  GenericSocket socket;  // declared before `tls`, which refers to it
  std::unique_ptr<TlsStream> tls;
  std::shared_ptr<ssl::context> tls_context;
  std::unique_ptr<Deflater> deflater;
  std::unique_ptr<Inflater> inflater;
  std::vector<char> compressed_in;
  bool inflate_output_pending = false;
  Deadline read_deadline;
  Deadline write_deadline;
  asio::steady_timer write_gate;  // an async mutex: waiters sleep until the writer cancels it
  bool writing = false;

  std::uint64_t id;
  std::string remote_ip;
  std::string local_address;
  bool loopback = false;
  bool local = false;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  Millis idle{0};
  Millis handshake_limit{30000};

  bool open = true;
  bool timed_out = false;
  bool failed = false;
  bool reading = false;
  bool waiting_for_command = false;
  bool read_cancelled_for_shutdown = false;
  std::atomic<bool> shutdown_flag{false};
  std::mutex farewell_mutex;
  std::string farewell;

  void cancel_io() {
    error_code ec;
    socket.cancel(ec);
  }

  void arm(Deadline& d, Millis limit) {
    ++d.generation;
    d.fired = false;
    if (limit.count() <= 0) return;
    d.timer.expires_after(limit);
    d.timer.async_wait([weak = weak_from_this(), &d, gen = d.generation](const error_code& ec) {
      if (ec) return;
      auto self = weak.lock();  // check liveness before touching d
      if (!self || gen != d.generation) return;
      d.fired = true;
      self->cancel_io();
    });
  }

  void disarm(Deadline& d) {
    ++d.generation;
    d.timer.cancel();
  }

  void close() {
    if (!open) return;
    open = false;
    error_code ec;
    socket.shutdown(asio::socket_base::shutdown_both, ec);
    socket.close(ec);
    disarm(read_deadline);
    disarm(write_deadline);
  }

  std::optional<IoStatus> unusable_for_reading() const {
    if (timed_out) return IoStatus::timeout;
    if (!open) return IoStatus::eof;
    if (failed) return IoStatus::error;
    return std::nullopt;
  }

  awaitable<ReadResult> read_transport(std::span<char> buf) {
    if (auto status = unusable_for_reading()) co_return ReadResult{0, *status};
    if (waiting_for_command && shutdown_flag) {
      IoStatus status = co_await finish_shutdown();
      co_return ReadResult{0, status};
    }
    error_code ec;
    std::size_t n = 0;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    arm(read_deadline, idle);
    reading = true;
    read_cancelled_for_shutdown = false;
    if (tls)
      n = co_await tls->async_read_some(asio::buffer(buf.data(), buf.size()), token);
    else
      n = co_await socket.async_read_some(asio::buffer(buf.data(), buf.size()), token);
    reading = false;
    disarm(read_deadline);
    bytes_in += n;
    if (!ec) co_return ReadResult{n, IoStatus::ok};
    IoStatus status = co_await read_failure(ec);
    co_return ReadResult{0, status};
  }

  awaitable<IoStatus> read_failure(const error_code& ec) {
    if (read_deadline.fired) {
      timed_out = true;
      co_return IoStatus::timeout;
    }
    if (read_cancelled_for_shutdown) co_return co_await finish_shutdown();
    if (!open) co_return IoStatus::eof;
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated ||
        ec == asio::error::connection_reset) {
      close();
      co_return IoStatus::eof;
    }
    log::info("connection_read_failed", {{"conn", id}, {"ip", remote_ip}, {"error", ec.message()}});
    failed = true;
    co_return IoStatus::error;
  }

  awaitable<ReadResult> read_inflated(std::span<char> buf) {
    for (;;) {
      if (inflater->has_input() || inflate_output_pending) {
        std::ptrdiff_t n = inflater->inflate(buf);
        if (n < 0 || (n == 0 && inflater->has_input())) {
          log::info("deflate_input_invalid", {{"conn", id}, {"ip", remote_ip}});
          failed = true;
          co_return ReadResult{0, IoStatus::error};
        }
        inflate_output_pending = static_cast<std::size_t>(n) == buf.size();
        if (n > 0) co_return ReadResult{static_cast<std::size_t>(n), IoStatus::ok};
      }
      ReadResult raw = co_await read_transport(compressed_in);
      if (raw.status != IoStatus::ok) co_return raw;
      inflater->feed(std::span<const char>(compressed_in.data(), raw.size));
    }
  }

  awaitable<void> lock_writes() {
    while (writing) {
      error_code ec;  // cancellation is the wake-up signal
      co_await write_gate.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    writing = true;
  }

  void unlock_writes() {
    writing = false;
    write_gate.cancel();  // wakes every waiter; the first to run takes the lock
  }

  template <class Buffers>
  awaitable<bool> write_transport(const Buffers& buffers) {
    if (!open || failed) co_return false;  // after a read timeout one last line may be written
    error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    arm(write_deadline, idle);
    std::size_t n = 0;
    if (tls)
      n = co_await asio::async_write(*tls, buffers, token);
    else
      n = co_await asio::async_write(socket, buffers, token);
    disarm(write_deadline);
    bytes_out += n;
    if (!ec) co_return true;
    if (write_deadline.fired) timed_out = true;
    failed = true;
    co_return false;
  }

  awaitable<bool> write_plain(std::span<const std::string_view> parts) {
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(parts.size());
    for (std::string_view p : parts)
      if (!p.empty()) buffers.emplace_back(p.data(), p.size());
    if (buffers.empty()) co_return open && !failed;
    co_return co_await write_transport(buffers);
  }

  // RFC 4978 §4: each response is flushed (Z_SYNC_FLUSH) so the client can decode it at once.
  awaitable<bool> write_compressed(std::span<const std::string_view> parts) {
    std::string out;
    for (std::string_view part : parts) {
      while (!part.empty()) {
        std::string_view piece = part.substr(0, kDeflateFlushAt);
        part.remove_prefix(piece.size());
        deflater->compress(piece, false, out);
        if (out.size() >= kDeflateFlushAt) {
          if (!co_await write_transport(asio::buffer(out))) co_return false;
          out.clear();
        }
      }
    }
    deflater->compress({}, true, out);
    if (out.empty()) co_return true;
    co_return co_await write_transport(asio::buffer(out));
  }

  awaitable<bool> write_parts(std::span<const std::string_view> parts) {
    co_await lock_writes();
    bool ok = false;
    if (deflater)
      ok = co_await write_compressed(parts);
    else
      ok = co_await write_plain(parts);
    unlock_writes();
    co_return ok;
  }

  awaitable<IoStatus> finish_shutdown() {
    std::string line;
    {
      std::lock_guard lock(farewell_mutex);
      line = farewell;
    }
    if (open && !failed && !line.empty()) {
      line += "\r\n";
      idle = kFarewellWriteLimit;  // a peer that does not read must not hold us up
      std::string_view part = line;
      co_await write_parts(std::span<const std::string_view>(&part, 1));
    }
    close();
    co_return IoStatus::shutdown;
  }

  awaitable<bool> handshake(ssl::stream_base::handshake_type type) {
    error_code ec;
    arm(read_deadline, handshake_limit);
    co_await tls->async_handshake(type, asio::redirect_error(asio::use_awaitable, ec));
    disarm(read_deadline);
    if (!ec) co_return true;
    log::warn("tls_handshake_failed", {{"conn", id},
                                       {"ip", remote_ip},
                                       {"error", read_deadline.fired ? "timeout" : ec.message()}});
    failed = true;
    close();
    co_return false;
  }

  bool can_start_tls(std::string_view role) {
    const char* reason = nullptr;
    if (tls) reason = "already TLS";
    else if (!tls_context) reason = "no TLS context configured";
    else if (deflater) reason = "compression already active";  // RFC 4978 §4: TLS must come first
    else if (!open || failed) reason = "connection closed";
    if (!reason) return true;
    log::warn("tls_not_started", {{"conn", id}, {"role", role}, {"reason", reason}});
    return false;
  }
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

// The socket closes when the last reference to Impl goes (handlers posted to the strand may
// still hold one); closing here could race with them when the owner lives on another strand.
Connection::~Connection() = default;

awaitable<ReadResult> Connection::read_some(std::span<char> buf) {
  if (buf.empty()) co_return ReadResult{0, IoStatus::ok};
  if (impl_->inflater) co_return co_await impl_->read_inflated(buf);
  co_return co_await impl_->read_transport(buf);
}

awaitable<bool> Connection::write(std::string_view data) {
  co_return co_await impl_->write_parts(std::span<const std::string_view>(&data, 1));
}

awaitable<bool> Connection::write(std::span<const std::string_view> parts) {
  co_return co_await impl_->write_parts(parts);
}

awaitable<bool> Connection::start_tls() {
  if (!impl_->can_start_tls("server")) co_return false;
  impl_->tls = std::make_unique<TlsStream>(impl_->socket, *impl_->tls_context);
  co_return co_await impl_->handshake(ssl::stream_base::server);
}

awaitable<bool> Connection::start_tls_client(std::string host, bool verify_host) {
  if (!impl_->can_start_tls("client")) co_return false;
  impl_->tls = std::make_unique<TlsStream>(impl_->socket, *impl_->tls_context);
  SSL_set_tlsext_host_name(impl_->tls->native_handle(), host.c_str());  // SNI, RFC 6066 §3
  if (verify_host) {
    impl_->tls->set_verify_mode(ssl::verify_peer);
    impl_->tls->set_verify_callback(ssl::host_name_verification(host));
  }
  co_return co_await impl_->handshake(ssl::stream_base::client);
}

bool Connection::is_tls() const { return impl_->tls != nullptr; }
bool Connection::tls_available() const { return impl_->tls_context != nullptr && !impl_->local; }

TlsInfo Connection::tls_info() const {
  TlsInfo info;
  if (!impl_->tls) return info;
  SSL* ssl = impl_->tls->native_handle();
  info.protocol = SSL_get_version(ssl);
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) {
    info.cipher = SSL_CIPHER_get_name(cipher);
    info.bits = SSL_CIPHER_get_bits(cipher, nullptr);
  }
  return info;
}

std::vector<std::string> Connection::peer_certificate_chain() const {
  if (!impl_->tls) return {};
  return net::peer_certificate_chain(impl_->tls->native_handle());
}

void Connection::start_deflate(std::string_view already_received) {
  impl_->deflater = std::make_unique<Deflater>();
  impl_->inflater = std::make_unique<Inflater>();
  impl_->compressed_in.resize(std::max(kCompressedChunk, already_received.size()));
  std::copy(already_received.begin(), already_received.end(), impl_->compressed_in.begin());
  impl_->inflater->feed(std::span<const char>(impl_->compressed_in.data(), already_received.size()));
}

bool Connection::is_deflate() const { return impl_->deflater != nullptr; }
std::uint64_t Connection::id() const { return impl_->id; }
const std::string& Connection::remote_ip() const { return impl_->remote_ip; }
const std::string& Connection::local_address() const { return impl_->local_address; }
bool Connection::is_loopback() const { return impl_->loopback; }
bool Connection::is_local() const { return impl_->local; }
std::uint64_t Connection::bytes_in() const { return impl_->bytes_in; }
std::uint64_t Connection::bytes_out() const { return impl_->bytes_out; }
void Connection::set_timeout(std::chrono::milliseconds idle) { impl_->idle = idle; }
std::chrono::milliseconds Connection::timeout() const { return impl_->idle; }
void Connection::set_handshake_timeout(std::chrono::milliseconds limit) { impl_->handshake_limit = limit; }

void Connection::request_shutdown(std::string farewell_line) {
  {
    std::lock_guard lock(impl_->farewell_mutex);
    impl_->farewell = std::move(farewell_line);
  }
  impl_->shutdown_flag = true;
  asio::post(impl_->strand, [self = impl_] {
    // A session idle between commands is woken now; one in mid-command is left alone.
    if (self->reading && self->waiting_for_command) {
      self->read_cancelled_for_shutdown = true;
      self->cancel_io();
    }
  });
}

bool Connection::shutdown_requested() const { return impl_->shutdown_flag; }
void Connection::set_waiting_for_command(bool waiting) { impl_->waiting_for_command = waiting; }
awaitable<IoStatus> Connection::finish_shutdown() { return impl_->finish_shutdown(); }
void Connection::close() { impl_->close(); }

void Connection::post_close() {
  asio::post(impl_->strand, [self = impl_] { self->close(); });
}

bool Connection::is_open() const { return impl_->open; }

std::unique_ptr<Connection> make_tcp_connection(asio::ip::tcp::socket socket,
                                                std::shared_ptr<ssl::context> tls) {
  error_code ec;
  socket.set_option(asio::ip::tcp::no_delay(true), ec);  // responses are written whole
  socket.set_option(asio::socket_base::keep_alive(true), ec);
  auto remote = socket.remote_endpoint(ec);
  auto local = socket.local_endpoint(ec);
  auto impl = std::make_unique<Connection::Impl>(GenericSocket(std::move(socket)), std::move(tls));
  impl->remote_ip = normalized_ip(remote.address());
  impl->loopback = asio::ip::make_address(impl->remote_ip, ec).is_loopback();
  impl->local_address = normalized_ip(local.address()) + ":" + std::to_string(local.port());
  return std::make_unique<Connection>(std::move(impl));
}

std::unique_ptr<Connection> make_unix_connection(asio::local::stream_protocol::socket socket,
                                                 std::string socket_path) {
  auto impl = std::make_unique<Connection::Impl>(GenericSocket(std::move(socket)), nullptr);
  impl->remote_ip = "local";
  impl->local = true;
  impl->local_address = std::move(socket_path);
  return std::make_unique<Connection>(std::move(impl));
}

}  // namespace kurier::net
