// Server: connection limits, bind errors, graceful shutdown, TLS context errors.
#include <fstream>

#include "net_test_support.h"

namespace kurier::net::test {
namespace {

using ListenerTest = ServerTest;

TEST_F(ListenerTest, PerIpLimitRefusesWithTheServiceLine) {
  ServerLimits limits;
  limits.max_per_ip = 2;
  start(limits);
  const auto port = add_echo();
  auto c1 = std::make_unique<Client>(port);
  Client c2(port);
  EXPECT_EQ(c1->line().rfind("+OK hello", 0), 0u);
  EXPECT_EQ(c2.line().rfind("+OK hello", 0), 0u);
  Client c3(port);
  EXPECT_EQ(c3.line(), "-ERR Too many connections");
  EXPECT_EQ(c3.line(), "<EOF>");
  EXPECT_EQ(server_->connection_count(), 2u);
  c1.reset();  // a slot frees up
  EXPECT_TRUE(eventually([&] { return server_->connection_count() == 1; }));
  Client c4(port);
  EXPECT_EQ(c4.line().rfind("+OK hello", 0), 0u);
}

TEST_F(ListenerTest, TotalLimit) {
  ServerLimits limits;
  limits.max_connections = 1;
  start(limits);
  const auto port = add_echo();
  Client c1(port);
  c1.line();
  Client c2(port);
  EXPECT_EQ(c2.line(), "-ERR Too many connections");
}

TEST_F(ListenerTest, BindFailureNamesServiceAddressAndReason) {
  start();
  const auto port = add_echo();
  try {
    server_->add_tcp("smtp", "127.0.0.1", port, TlsMode::plain, echo(), {});
    FAIL() << "expected a bind error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("smtp"), std::string::npos) << msg;
    EXPECT_NE(msg.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << msg;
    EXPECT_NE(msg.find("in use"), std::string::npos) << msg;
  }
  EXPECT_THROW(server_->add_tcp("x", "not-an-address", 0, TlsMode::plain, echo(), {}), std::runtime_error);
}

TEST_F(ListenerTest, ListensOnIpv6Loopback) {
  start();
  const auto port = server_->add_tcp("v6", "[::1]", 0, TlsMode::plain, echo(), {});
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  boost::system::error_code ec;
  s.connect({asio::ip::make_address("::1"), port}, ec);
  if (ec) GTEST_SKIP() << "no IPv6 loopback here: " << ec.message();
  char buf[128];
  std::size_t n = s.read_some(asio::buffer(buf));
  EXPECT_NE(std::string(buf, n).find("ip=::1"), std::string::npos);
}

TEST_F(ListenerTest, ShutdownSaysFarewellToIdleAndWaitsForBusy) {
  start();
  const auto port = add_echo();
  Client idle(port);
  Client busy(port);
  idle.line();
  busy.line();
  busy.send("SLOW 600\r\n");
  ASSERT_TRUE(eventually([&] { return state_.slow_started == 1; }));

  std::promise<void> done;
  auto finished = done.get_future();
  const auto t0 = std::chrono::steady_clock::now();
  rt_.spawn(run_and_signal(server_->shutdown(5s), &done));

  EXPECT_EQ(idle.line(), "* BYE shutting down");  // at once, not after the busy one
  EXPECT_EQ(idle.line(), "<EOF>");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
  EXPECT_EQ(busy.line(), "+OK slow done");  // the command in progress completes
  EXPECT_EQ(busy.line(), "* BYE shutting down");
  EXPECT_EQ(busy.line(), "<EOF>");
  ASSERT_EQ(finished.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(server_->connection_count(), 0u);
  EXPECT_EQ(state_.sessions_ended, 2);
  EXPECT_THROW(Client{port}, boost::system::system_error);  // no longer accepting
}

TEST_F(ListenerTest, ShutdownClosesWhatOutlivesTheGrace) {
  start();
  const auto port = add_echo();
  Client busy(port);
  busy.line();
  busy.send("LITERAL 100\r\nonly part");  // mid-command: the session waits for 100 bytes
  ASSERT_TRUE(eventually([&] { return server_->connection_count() == 1; }));
  std::this_thread::sleep_for(50ms);
  const auto t0 = std::chrono::steady_clock::now();
  run_blocking(server_->shutdown(300ms));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 250ms);
  EXPECT_EQ(server_->connection_count(), 0u);
  EXPECT_EQ(busy.line(), "<EOF>");
}

TEST(TlsContext, MissingFileIsNamed) {
  try {
    make_server_tls_context("/nonexistent/cert.pem", test_cert().key);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/cert.pem"), std::string::npos) << e.what();
  }
}

TEST(TlsContext, KeyThatDoesNotMatchIsRejected) {
  const std::string dir = make_temp_dir();
  const std::string other_key = dir + "/other.pem";
  EVP_PKEY* key = EVP_EC_gen("P-256");
  FILE* out = std::fopen(other_key.c_str(), "w");
  PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(out);
  EVP_PKEY_free(key);
  try {
    make_server_tls_context(test_cert().cert, other_key);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(other_key), std::string::npos) << e.what();
  }
}

TEST(TlsContext, GarbageCertificateIsRejected) {
  const std::string path = make_temp_dir() + "/garbage.pem";
  std::ofstream(path) << "not a certificate\n";
  EXPECT_THROW(make_server_tls_context(path, test_cert().key), std::runtime_error);
}

TEST(TlsContext, ClientContexts) {
  EXPECT_NE(make_client_tls_context(true), nullptr);
  EXPECT_NE(make_client_tls_context(false), nullptr);
}

}  // namespace
}  // namespace kurier::net::test
