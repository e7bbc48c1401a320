// IDLE (RFC 2177): after "+ idling", changes to the selected mailbox are reported as they
// happen until the client sends DONE. A second coroutine on the session's strand waits for the
// ChangeHub's signals while the command waits for DONE; it is joined before IDLE answers.
#include "imap/session_internal.h"

#include "common/log.h"
#include "common/strings.h"

namespace kurier::imap {
namespace asio = boost::asio;

static net::awaitable<void> idle_notifier(Session* s) {
  s->idle_running_ = true;
  std::shared_ptr<ChangeSignal> signal = s->signal_;
  try {
    while (!s->idle_stop_) {
      if (s->selected_ && signal->dirty) {  // a deletion sets dirty too
        co_await s->sync(true);
        bool written = co_await s->flush();
        if (!written || s->close_now_) {
          s->conn_.close();  // ends the DONE read in cmd_idle
          break;
        }
        continue;
      }
      signal->timer.expires_at(boost::asio::steady_timer::time_point::max());
      boost::system::error_code ec;
      co_await signal->timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
  } catch (const std::exception& e) {
    log::warn("imap.idle_notify_failed", {{"conn", s->conn_.id()}, {"error", e.what()}});
  }
  s->idle_running_ = false;
  signal->timer.cancel();  // wakes the joiner
}

net::awaitable<Reply> Session::cmd_idle(Command&) {
  if (selected_) co_await sync(true, true);
  raw("+ idling\r\n");
  if (!co_await flush()) {
    close_now_ = true;
    co_return Reply::no("Disconnected");
  }
  conn_.set_timeout(std::chrono::seconds(s_.config.limits.imap_idle_timeout_seconds));  // re-armed
  idle_stop_ = false;
  asio::co_spawn(executor_, idle_notifier(this), asio::detached);
  auto line = co_await reader_.read_command(command_line_limit(s_.config));
  idle_stop_ = true;
  // Join the notifier: it may be in the middle of a store query or a write.
  while (idle_running_) {
    signal_->timer.cancel();
    asio::steady_timer join(executor_, std::chrono::milliseconds(5));
    boost::system::error_code ec;
    co_await join.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!line.ok()) {
    if (line.status == net::LineStatus::timeout) {
      untagged("BYE Autologout; idle for too long");
      co_await flush();
    }
    close_now_ = line.status != net::LineStatus::too_long;
    if (close_now_) co_return Reply::no("Disconnected");
    co_return Reply::bad("Line too long; expected DONE");
  }
  if (!iequals(trim(line.line), "DONE")) co_return Reply::bad("Expected DONE to end IDLE");
  co_return Reply::ok("IDLE terminated");
}

}  // namespace kurier::imap
