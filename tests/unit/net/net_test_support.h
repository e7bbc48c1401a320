// Shared helpers for the net tests: a self-signed certificate made with the OpenSSL API, a
// blocking test client (plain, TLS, deflate; every operation bounded by a timeout), and a fixture
// that runs a Runtime + Server on background threads with an echo protocol.
#pragma once
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>

#include "net/asio.h"
#include "net/connection_factory.h"
#include "net/deflate.h"
#include "net/line_reader.h"
#include "net/listener.h"
#include "net/runtime.h"
#include "net/tls.h"

namespace kurier::net::test {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using namespace std::chrono_literals;

inline std::string make_temp_dir() {
  std::string tmpl = "/tmp/kurier-net-test-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

struct CertFiles {
  std::string cert;
  std::string key;
};

// A P-256 self-signed certificate for CN=localhost, written as PEM files (once per test binary).
inline const CertFiles& test_cert() {
  static const CertFiles files = [] {
    const std::string dir = make_temp_dir();
    CertFiles f{dir + "/cert.pem", dir + "/key.pem"};
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 30);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, key, EVP_sha256());
    FILE* out = std::fopen(f.cert.c_str(), "w");
    PEM_write_X509(out, x);
    std::fclose(out);
    out = std::fopen(f.key.c_str(), "w");
    PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(out);
    X509_free(x);
    EVP_PKEY_free(key);
    return f;
  }();
  return files;
}

// A blocking client. Each I/O step runs a private io_context for at most 10 s.
class Client {
 public:
  explicit Client(std::uint16_t port) : socket_(io_) {
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    socket_.connect(asio::generic::stream_protocol::endpoint(ep));
  }
  explicit Client(const std::string& unix_path) : socket_(io_) {
    socket_.connect(asio::generic::stream_protocol::endpoint(asio::local::stream_protocol::endpoint(unix_path)));
  }

  // Throws boost::system::system_error if the handshake fails.
  void start_tls(ssl::context& ctx) {
    tls_ = std::make_unique<ssl::stream<asio::generic::stream_protocol::socket&>>(socket_, ctx);
    run([&](auto h) { tls_->async_handshake(ssl::stream_base::client, [h](auto ec) { h(ec, 0); }); });
  }
  void start_deflate() {
    deflater_ = std::make_unique<Deflater>();
    inflater_ = std::make_unique<Inflater>();
  }

  void send(std::string_view data) {
    std::string compressed;
    if (deflater_) {
      deflater_->compress(data, true, compressed);
      data = compressed;
    }
    if (tls_)
      run([&](auto h) { asio::async_write(*tls_, asio::buffer(data), h); });
    else
      run([&](auto h) { asio::async_write(socket_, asio::buffer(data), h); });
  }

  // One line without CRLF; "<EOF>" once the server has closed.
  std::string line() {
    for (;;) {
      auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string l = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        if (!l.empty() && l.back() == '\r') l.pop_back();
        return l;
      }
      if (!fill()) return "<EOF>";
    }
  }

  bool at_eof() { return buffer_.empty() && !fill(); }

 private:
  template <class Start>
  std::size_t run(Start start) {
    boost::system::error_code result;
    std::size_t n = 0;
    bool done = false;
    start([&](const boost::system::error_code& ec, std::size_t bytes) {
      result = ec;
      n = bytes;
      done = true;
    });
    io_.restart();
    io_.run_for(10s);
    if (!done) {
      boost::system::error_code ignored;
      socket_.cancel(ignored);
      io_.restart();
      io_.run();
      throw std::runtime_error("test client: timed out");
    }
    if (result) throw boost::system::system_error(result);
    return n;
  }

  bool fill_raw(std::string& out) {
    if (ended_) return false;
    char chunk[65536];
    try {
      std::size_t n;
      if (tls_)
        n = run([&](auto h) { tls_->async_read_some(asio::buffer(chunk), h); });
      else
        n = run([&](auto h) { socket_.async_read_some(asio::buffer(chunk), h); });
      out.assign(chunk, n);
      return true;
    } catch (const boost::system::system_error& e) {
      if (std::getenv("NET_TEST_DEBUG")) std::fprintf(stderr, "client read ended: %s\n", e.what());
      ended_ = true;
      return false;  // EOF, reset or TLS close: the tests only care that the stream ended
    }
  }

  bool fill() {
    std::string raw;
    if (!fill_raw(raw)) return false;
    if (!inflater_) {
      buffer_ += raw;
      return true;
    }
    pending_compressed_ += raw;
    inflater_->feed(pending_compressed_);
    char out[65536];
    std::ptrdiff_t n;
    while ((n = inflater_->inflate(out)) > 0) buffer_.append(out, static_cast<std::size_t>(n));
    if (n < 0) throw std::runtime_error("test client: bad deflate data");
    pending_compressed_.clear();
    return true;
  }

  asio::io_context io_;
  asio::generic::stream_protocol::socket socket_;
  std::unique_ptr<ssl::stream<asio::generic::stream_protocol::socket&>> tls_;
  std::unique_ptr<Deflater> deflater_;
  std::unique_ptr<Inflater> inflater_;
  std::string pending_compressed_;
  std::string buffer_;
  bool ended_ = false;
};

inline ssl::context client_tls_context(int max_version = 0) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_none);
  if (max_version) {
    SSL_CTX_set_security_level(ctx.native_handle(), 0);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), max_version);
    SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version);
  }
  return ctx;
}

// Shared state between the test thread and the echo sessions.
struct EchoState {
  std::atomic<int> slow_started{0};
  std::atomic<int> sessions_ended{0};
};

inline awaitable<void> sleep_ms(int ms) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(asio::use_awaitable);
}

inline awaitable<bool> reply(Connection& conn, std::string_view status, std::string_view text) {
  std::array<std::string_view, 4> parts{status, " ", text, "\r\n"};  // exercises the gather write
  co_return co_await conn.write(parts);
}

// The echo protocol: "+OK hello ..." greeting, then one reply per command line.
//   QUIT, DATA, STARTTLS, COMPRESS, TLSINFO, IDLE <ms> (idle timeout), SLOW <ms>, BIG <n>,
//   LITERAL <n> (reads n raw bytes, replies with count, crc32, largest piece, buffer size);
//   anything else is echoed as "+OK <line>".
inline std::string greeting(Connection& conn) {
  return "hello local=" + std::to_string(conn.is_local()) + " tls=" + std::to_string(conn.is_tls()) +
         " loopback=" + std::to_string(conn.is_loopback()) + " ip=" + conn.remote_ip();
}

inline awaitable<void> echo_session(Connection& conn, EchoState& state) {
  LineReader reader(conn);
  co_await reply(conn, "+OK", greeting(conn));
  for (;;) {
    LineResult r = co_await reader.read_command(1000);
    if (r.status == LineStatus::too_long) {
      co_await reply(conn, "-ERR", "line too long");
      continue;
    }
    if (r.status == LineStatus::timeout) co_await reply(conn, "-ERR", "timeout");
    if (!r.ok()) break;
    const std::string& line = r.line;
    if (line == "QUIT") {
      co_await reply(conn, "+OK", "bye");
      break;
    } else if (line == "STARTTLS") {
      co_await reply(conn, "+OK", "go");
      if (!co_await reader.start_tls()) break;
    } else if (line == "COMPRESS") {
      co_await reply(conn, "+OK", "deflate");
      reader.start_deflate();
    } else if (line == "TLSINFO") {
      TlsInfo info = conn.tls_info();
      co_await reply(conn, "+OK", info.protocol + " " + info.cipher + " " + std::to_string(info.bits));
    } else if (line.rfind("IDLE ", 0) == 0) {
      conn.set_timeout(std::chrono::milliseconds(std::stoi(line.substr(5))));
      co_await reply(conn, "+OK", "idle set");
    } else if (line.rfind("SLOW ", 0) == 0) {
      ++state.slow_started;
      co_await sleep_ms(std::stoi(line.substr(5)));
      co_await reply(conn, "+OK", "slow done");
    } else if (line == "DATA") {  // raw chunks up to CRLF.CRLF; what follows is given back
      co_await reply(conn, "+OK", "go ahead");
      std::string body;
      std::size_t end = std::string::npos;
      while (end == std::string::npos) {
        ChunkResult chunk = co_await reader.read_chunk();
        if (chunk.status != IoStatus::ok) break;
        body.append(chunk.data);
        end = body.find("\r\n.\r\n");
      }
      if (end == std::string::npos) break;
      reader.unread(body.size() - (end + 5));
      co_await reply(conn, "+OK", "data " + std::to_string(end + 2));
    } else if (line.rfind("BIG ", 0) == 0) {
      co_await reply(conn, "+OK", std::string(std::stoul(line.substr(4)), 'y'));
    } else if (line.rfind("LITERAL ", 0) == 0) {
      std::uint64_t n = std::stoull(line.substr(8));
      std::uint64_t got = 0;
      std::size_t largest = 0;
      unsigned long crc = crc32(0, nullptr, 0);
      bool ok = co_await reader.read_exact(n, [&](std::string_view piece) {
        got += piece.size();
        largest = std::max(largest, piece.size());
        crc = crc32(crc, reinterpret_cast<const Bytef*>(piece.data()), static_cast<uInt>(piece.size()));
      });
      if (!ok) break;
      co_await reply(conn, "+OK", std::to_string(got) + " " + std::to_string(crc) + " " +
                                      std::to_string(largest) + " " + std::to_string(reader.capacity()));
    } else {
      co_await reply(conn, "+OK", line);
    }
  }
  ++state.sessions_ended;
}

inline awaitable<void> run_and_signal(awaitable<void> task, std::promise<void>* done) {
  co_await std::move(task);
  done->set_value();
}

// Runtime on two threads + a Server with the echo protocol.
class ServerTest : public ::testing::Test {
 protected:
  void start(ServerLimits limits = {}) {
    server_ = std::make_unique<Server>(rt_, limits);
    server_->set_tls_context(make_server_tls_context(test_cert().cert, test_cert().key));
    runner_ = std::thread([this] { rt_.run(); });
  }

  Handler echo() {
    return [this](Connection& conn) { return echo_session(conn, state_); };
  }

  std::uint16_t add_echo(TlsMode mode = TlsMode::plain) {
    return server_->add_tcp("echo", "127.0.0.1", 0, mode, echo(),
                            ServiceLines{"-ERR Too many connections", "* BYE shutting down"});
  }

  // Runs an awaitable on the runtime and blocks until it is done.
  void run_blocking(awaitable<void> task) {
    std::promise<void> done;
    auto f = done.get_future();
    rt_.spawn(run_and_signal(std::move(task), &done));
    ASSERT_EQ(f.wait_for(20s), std::future_status::ready);
  }

  template <class Pred>
  bool eventually(Pred pred, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  void TearDown() override {
    if (server_) run_blocking(server_->shutdown(2s));
    server_.reset();
    rt_.stop();
    if (runner_.joinable()) runner_.join();
  }

  Runtime rt_{2, 2};
  std::unique_ptr<Server> server_;
  std::thread runner_;
  EchoState state_;
};

}  // namespace kurier::net::test
