// Connection + LineReader over real sockets on 127.0.0.1: plain, STARTTLS, implicit TLS, deflate,
// unix socket, line limits, streaming and the idle timeout.
#include <zlib.h>

#include "net_test_support.h"

namespace kurier::net::test {
namespace {

using ConnectionTest = ServerTest;

TEST_F(ConnectionTest, EchoOverPlainTcp) {
  start();
  Client c(add_echo());
  EXPECT_EQ(c.line(), "+OK hello local=0 tls=0 loopback=1 ip=127.0.0.1");
  c.send("NOOP\r\n");
  EXPECT_EQ(c.line(), "+OK NOOP");
  c.send("ONE\r\nTWO\r\n");  // pipelined
  EXPECT_EQ(c.line(), "+OK ONE");
  EXPECT_EQ(c.line(), "+OK TWO");
  c.send("QUIT\r\n");
  EXPECT_EQ(c.line(), "+OK bye");
  EXPECT_EQ(c.line(), "<EOF>");
}

TEST_F(ConnectionTest, BareLfAndEmptyLines) {
  start();
  Client c(add_echo());
  c.line();
  c.send("HELLO\nWORLD\r\n\r\n");
  EXPECT_EQ(c.line(), "+OK HELLO");
  EXPECT_EQ(c.line(), "+OK WORLD");
  EXPECT_EQ(c.line(), "+OK ");
}

TEST_F(ConnectionTest, OverlongLineIsSkippedAndReadingGoesOn) {
  start();
  Client c(add_echo());
  c.line();
  c.send(std::string(1001, 'x') + "\r\nAFTER\r\n");
  EXPECT_EQ(c.line(), "-ERR line too long");
  EXPECT_EQ(c.line(), "+OK AFTER");
  c.send(std::string(1000, 'x') + "\r\n");  // exactly the limit is fine
  EXPECT_EQ(c.line(), "+OK " + std::string(1000, 'x'));
  c.send(std::string(300000, 'y') + "\nNEXT\r\n");  // far beyond the 64 KiB buffer
  EXPECT_EQ(c.line(), "-ERR line too long");
  EXPECT_EQ(c.line(), "+OK NEXT");
}

TEST_F(ConnectionTest, ReadChunkAndUnreadLeavePipelinedCommandsIntact) {
  start();
  Client c(add_echo());
  c.line();
  c.send("DATA\r\nline1\r\nline2\r\n.\r\nNOOP\r\n");  // all in one segment
  EXPECT_EQ(c.line(), "+OK go ahead");
  EXPECT_EQ(c.line(), "+OK data 14");
  EXPECT_EQ(c.line(), "+OK NOOP");
  c.send("DATA\r\nabc\r");  // the terminator split over several reads
  EXPECT_EQ(c.line(), "+OK go ahead");
  std::this_thread::sleep_for(30ms);
  c.send("\n.");
  std::this_thread::sleep_for(30ms);
  c.send("\r\nQUIT\r\n");
  EXPECT_EQ(c.line(), "+OK data 5");
  EXPECT_EQ(c.line(), "+OK bye");
}

TEST_F(ConnectionTest, ReadExactStreamsTenMiBInBoundedPieces) {
  start();
  Client c(add_echo());
  c.line();
  const std::size_t size = 10 * 1024 * 1024;
  std::string data(size, '\0');
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 7919) >> 3);
  const unsigned long crc = crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(data.data()), size);
  c.send("LITERAL " + std::to_string(size) + "\r\n" + data + "AFTER\r\n");
  const std::string reply = c.line();
  unsigned long long got = 0, got_crc = 0, largest = 0, capacity = 0;
  ASSERT_EQ(std::sscanf(reply.c_str(), "+OK %llu %llu %llu %llu", &got, &got_crc, &largest, &capacity), 4) << reply;
  EXPECT_EQ(got, size);
  EXPECT_EQ(got_crc, crc);
  EXPECT_EQ(capacity, LineReader::kDefaultBufferSize);  // the reader never grew
  EXPECT_LE(largest, LineReader::kDefaultBufferSize);
  EXPECT_EQ(c.line(), "+OK AFTER");
}

TEST_F(ConnectionTest, IdleTimeoutEndsTheSession) {
  start();
  Client c(add_echo());
  c.line();
  c.send("IDLE 300\r\n");
  EXPECT_EQ(c.line(), "+OK idle set");
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(c.line(), "-ERR timeout");
  EXPECT_EQ(c.line(), "<EOF>");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 250ms);
  EXPECT_TRUE(eventually([&] { return server_->connection_count() == 0; }));
}

TEST_F(ConnectionTest, ActivityKeepsTheConnectionAlive) {
  start();
  Client c(add_echo());
  c.line();
  c.send("IDLE 400\r\n");
  c.line();
  for (int i = 0; i < 5; ++i) {  // 5 x 150 ms > 400 ms in total, but never idle for 400 ms
    std::this_thread::sleep_for(150ms);
    c.send("PING\r\n");
    EXPECT_EQ(c.line(), "+OK PING");
  }
}

TEST_F(ConnectionTest, StartTlsUpgradesAndDropsInjectedPlaintext) {
  start();
  Client c(add_echo());
  EXPECT_EQ(c.line(), "+OK hello local=0 tls=0 loopback=1 ip=127.0.0.1");
  // RFC 3207 §5: commands pipelined after STARTTLS must be thrown away (CVE-2011-0411).
  c.send("STARTTLS\r\nINJECTED\r\n");
  EXPECT_EQ(c.line(), "+OK go");
  auto ctx = client_tls_context();
  c.start_tls(ctx);
  c.send("TLSINFO\r\n");
  const std::string info = c.line();
  EXPECT_EQ(info.rfind("+OK TLSv1.3 TLS_", 0), 0u) << info;
  c.send("STARTTLS\r\n");  // a second STARTTLS fails and ends the session
  EXPECT_EQ(c.line(), "+OK go");
  EXPECT_EQ(c.line(), "<EOF>");
}

TEST_F(ConnectionTest, ImplicitTls) {
  start();
  Client c(add_echo(TlsMode::implicit));
  auto ctx = client_tls_context();
  c.start_tls(ctx);
  EXPECT_EQ(c.line(), "+OK hello local=0 tls=1 loopback=1 ip=127.0.0.1");
  c.send("HELLO\r\n");
  EXPECT_EQ(c.line(), "+OK HELLO");
}

TEST_F(ConnectionTest, Tls12ClientGetsAnEcdheAeadCipher) {
  start();
  Client c(add_echo(TlsMode::implicit));
  auto ctx = client_tls_context(TLS1_2_VERSION);
  c.start_tls(ctx);
  c.line();
  c.send("TLSINFO\r\n");
  const std::string info = c.line();
  EXPECT_EQ(info.rfind("+OK TLSv1.2 ECDHE-", 0), 0u) << info;
  EXPECT_NE(info.find("GCM"), std::string::npos) << info;
}

TEST_F(ConnectionTest, Tls11ClientIsRefused) {
  start();
  const auto port = add_echo(TlsMode::implicit);
  Client c(port);
  auto ctx = client_tls_context(TLS1_1_VERSION);
  EXPECT_THROW(c.start_tls(ctx), boost::system::system_error);
  EXPECT_TRUE(eventually([&] { return server_->connection_count() == 0; }));
}

TEST_F(ConnectionTest, SilentClientOnImplicitTlsPortTimesOut) {
  ServerLimits limits;
  limits.tls_handshake_timeout = 200ms;
  start(limits);
  Client c(add_echo(TlsMode::implicit));
  EXPECT_TRUE(eventually([&] { return server_->connection_count() == 1; }));
  EXPECT_TRUE(eventually([&] { return server_->connection_count() == 0; }, 3s));
  EXPECT_TRUE(c.at_eof());
}

TEST_F(ConnectionTest, DeflateRoundTrip) {
  start();
  Client c(add_echo());
  c.line();
  c.send("COMPRESS\r\n");
  EXPECT_EQ(c.line(), "+OK deflate");
  c.start_deflate();
  c.send("HELLO\r\n");
  EXPECT_EQ(c.line(), "+OK HELLO");
  c.send("BIG 200000\r\nAFTER\r\n");  // a response larger than one deflate flush unit
  EXPECT_EQ(c.line(), "+OK " + std::string(200000, 'y'));
  EXPECT_EQ(c.line(), "+OK AFTER");
}

TEST_F(ConnectionTest, DeflateInsideTls) {
  start();
  Client c(add_echo());
  c.line();
  c.send("STARTTLS\r\n");
  c.line();
  auto ctx = client_tls_context();
  c.start_tls(ctx);
  c.send("COMPRESS\r\n");
  EXPECT_EQ(c.line(), "+OK deflate");
  c.start_deflate();
  c.send("TLSINFO\r\n");
  EXPECT_EQ(c.line().rfind("+OK TLSv1.3", 0), 0u);
  c.send("LITERAL 5\r\nabcdeAFTER\r\n");
  EXPECT_EQ(c.line().rfind("+OK 5 ", 0), 0u);
  EXPECT_EQ(c.line(), "+OK AFTER");
}

TEST_F(ConnectionTest, UnixSocketIsLocal) {
  start();
  const std::string path = make_temp_dir() + "/lmtp.sock";
  server_->add_unix("lmtp", path, echo(), ServiceLines{"421 busy", "421 bye"});
  Client c(path);
  EXPECT_EQ(c.line(), "+OK hello local=1 tls=0 loopback=0 ip=local");
  c.send("LHLO x\r\n");
  EXPECT_EQ(c.line(), "+OK LHLO x");
  server_->stop_accepting();
  EXPECT_TRUE(eventually([&] { return ::access(path.c_str(), F_OK) != 0; }));  // socket removed
}

}  // namespace
}  // namespace kurier::net::test
