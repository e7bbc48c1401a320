// A scripted SMTP server for the queue tests, on kurier's own net::Server: it records every
// command and message and answers by recipient name:
//   reject*@  -> 550 5.1.1          temp*@ -> 451 4.2.0 while temp_failures > 0, then 250
//   anything else -> 250
// Options switch STARTTLS, PIPELINING, DSN and SIZE on and off.
#pragma once
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "../net/net_test_support.h"
#include "common/strings.h"
#include "smtp_protocol/data.h"

namespace kurier::queue::test {

struct ReceivedMessage {
  std::string mail_from;  // the whole MAIL command
  std::vector<std::string> rcpt;  // whole RCPT commands
  std::string data;
  bool tls = false;
};

struct FakeSmtp {
  std::mutex mutex;
  std::vector<ReceivedMessage> messages;
  std::vector<std::string> commands;
  int temp_failures = 0;
  bool starttls = false;
  bool pipelining = true;
  bool dsn = true;
  uint64_t size_limit = 0;
  int data_delay_ms = 0;
  std::atomic<int> connections{0};
  std::atomic<int> concurrent{0};
  std::atomic<int> max_concurrent{0};

  std::vector<ReceivedMessage> received() {
    std::lock_guard l(mutex);
    return messages;
  }
  std::vector<std::string> all_commands() {
    std::lock_guard l(mutex);
    return commands;
  }
};

inline std::string ehlo_reply(FakeSmtp& s, bool tls) {
  std::string caps = "250-fake.test\r\n";
  if (s.pipelining) caps += "250-PIPELINING\r\n";
  caps += "250-SIZE " + std::to_string(s.size_limit) + "\r\n";  // 0: no fixed limit (RFC 1870)
  if (s.starttls && !tls) caps += "250-STARTTLS\r\n";
  if (s.dsn) caps += "250-DSN\r\n";
  caps += "250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n";
  return caps;
}

inline std::string address_in(const std::string& line) {
  auto lt = line.find('<'), gt = line.find('>');
  return lt == std::string::npos || gt == std::string::npos ? "" : line.substr(lt + 1, gt - lt - 1);
}

inline net::awaitable<bool> read_data(net::LineReader& reader, std::string& data) {
  smtp::DataDecoder decoder([&data](std::string_view s) { data.append(s); });
  while (!decoder.done()) {
    net::ChunkResult chunk = co_await reader.read_chunk();
    if (chunk.status != net::IoStatus::ok) co_return false;
    size_t used = decoder.feed(chunk.data);
    if (used < chunk.data.size()) reader.unread(chunk.data.size() - used);
  }
  co_return true;
}

inline net::awaitable<void> fake_smtp_session(FakeSmtp& s, net::Connection& conn) {
  ++s.connections;
  int now = ++s.concurrent;
  for (int m = s.max_concurrent; now > m && !s.max_concurrent.compare_exchange_weak(m, now);) {
  }
  net::LineReader reader(conn);
  co_await conn.write("220 fake.test ESMTP\r\n");
  ReceivedMessage cur;
  for (;;) {
    net::LineResult r = co_await reader.read_line(4096);
    if (!r.ok()) break;
    std::string line = r.line;
    {
      std::lock_guard l(s.mutex);
      s.commands.push_back(line);
    }
    std::string verb = to_upper(line.substr(0, 4));
    std::string reply;
    if (verb == "EHLO") {
      reply = ehlo_reply(s, conn.is_tls());
    } else if (verb == "HELO" || verb == "NOOP") {
      reply = "250 ok\r\n";
    } else if (verb == "STAR") {
      co_await conn.write("220 2.0.0 go ahead\r\n");
      if (!co_await reader.start_tls()) break;
      continue;
    } else if (verb == "MAIL") {
      cur = ReceivedMessage{line, {}, "", conn.is_tls()};
      reply = "250 2.1.0 ok\r\n";
    } else if (verb == "RCPT") {
      std::string to = address_in(line);
      bool temp = false;
      if (to.rfind("temp", 0) == 0) {
        std::lock_guard l(s.mutex);
        if (s.temp_failures > 0) {
          --s.temp_failures;
          temp = true;
        }
      }
      if (to.rfind("reject", 0) == 0)
        reply = "550 5.1.1 <" + to + ">: Recipient address rejected: User unknown\r\n";
      else if (temp)
        reply = "451 4.2.0 <" + to + ">: try again later\r\n";
      else {
        cur.rcpt.push_back(line);
        reply = "250 2.1.5 ok\r\n";
      }
    } else if (verb == "DATA") {
      if (cur.rcpt.empty()) {
        reply = "554 5.5.1 Error: no valid recipients\r\n";
      } else {
        co_await conn.write("354 End data with <CR><LF>.<CR><LF>\r\n");
        if (!co_await read_data(reader, cur.data)) break;
        if (s.data_delay_ms) co_await net::test::sleep_ms(s.data_delay_ms);
        {
          std::lock_guard l(s.mutex);
          s.messages.push_back(cur);
        }
        reply = "250 2.0.0 Ok: queued as FAKE\r\n";
      }
      cur = ReceivedMessage{};
    } else if (verb == "RSET") {
      cur = ReceivedMessage{};
      reply = "250 2.0.0 ok\r\n";
    } else if (verb == "QUIT") {
      co_await conn.write("221 2.0.0 bye\r\n");
      break;
    } else {
      reply = "502 5.5.2 unknown command\r\n";
    }
    if (!co_await conn.write(reply)) break;
  }
  --s.concurrent;
}

}  // namespace kurier::queue::test
