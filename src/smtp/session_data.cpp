// DATA (RFC 5321 4.1.1.4, transparency 4.5.2) and BDAT (RFC 3030 CHUNKING): stream the message
// into the DeliveryService's MessageSink, deliver, and answer — one reply per accepted recipient
// in LMTP (RFC 2033 4.2), one for the message in SMTP.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>

#include "common/log.h"
#include "smtp_protocol/data.h"
#include "smtp/dsn_params.h"
#include "smtp_protocol/headers.h"
#include "smtp/session_internal.h"

namespace kurier::smtp {
namespace {

int local_utc_offset_minutes(std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  localtime_r(&t, &tm);
  return int(tm.tm_gmtoff / 60);
}

Reply too_big() { return {552, "5.3.4", "Message too big for system"}; }
Reply spool_failed() { return {451, "4.3.0", "Could not spool the message, try again later"}; }

}  // namespace

// RFC 2033 4.2: without a successful RCPT, DATA fails with 503.
std::optional<Reply> Session::data_precondition() const {
  if (!tx_.active) return Reply{503, "5.5.1", "Need MAIL command"};
  if (tx_.recipients.empty()) return Reply{503, "5.5.1", "No valid recipients"};
  return std::nullopt;
}

delivery::MessageEnvelope Session::envelope() const {
  ReceivedInfo info;
  info.helo = helo_;
  info.ip = conn_.remote_ip();
  info.by_host = hostname();
  info.lmtp = mode_.lmtp;
  info.esmtp = esmtp_;
  info.tls = conn_.is_tls();
  info.authenticated = authenticated_;
  info.smtputf8 = tx_.params.smtputf8;
  if (conn_.is_tls()) {
    auto tls = conn_.tls_info();
    info.tls_details = "using " + tls.protocol + " with cipher " + tls.cipher;
  }
  info.id = std::to_string(conn_.id()) + "." + std::to_string(std::time(nullptr));
  if (tx_.recipients.size() == 1) info.recipient = tx_.recipients.front().address;  // RFC 5321 4.4: "for" only for one
  info.time = std::chrono::system_clock::now();
  info.utc_offset_minutes = local_utc_offset_minutes(info.time);

  delivery::MessageEnvelope env;
  env.sender = tx_.sender;
  env.received = build_received(info);
  for (const auto& r : tx_.recipients) env.recipients.push_back(r.address);
  env.dsn = message_dsn(tx_.params);  // RFC 3461 RET/ENVID, for relayed copies and notices
  if (authenticated_ && identity_) env.origin.authenticated_as = identity_->primary;  // DKIM signs only these
  env.origin.client_ip = conn_.remote_ip();
  return env;
}

net::awaitable<void> Session::cmd_data() {
  if (tx_.bdat) {  // RFC 3030 3: DATA and BDAT do not mix in one transaction
    refuse(503, "5.5.1", "DATA not allowed after BDAT");
    co_return;
  }
  if (auto refusal = data_precondition()) {
    refuse(*refusal);
    co_return;
  }
  reply(354, "", "Start mail input; end with <CRLF>.<CRLF>");
  if (!co_await flush()) {
    closing_ = true;
    co_return;
  }
  std::optional<delivery::MessageSink> sink;
  bool spool_error = false;
  try {
    sink.emplace(delivery_.begin_message(envelope()));
    begin_spool();
  } catch (const std::exception& e) {
    log::error("smtp.spool_failed", {{"conn", conn_.id()}, {"error", e.what()}});
    spool_error = true;
  }
  // The decoder emits at most its 4 KiB buffer at a time; the sink batches to 64 KiB writes.
  DataDecoder decoder(
      [&](std::string_view bytes) {
        if (spool_error) return;
        try {
          spool(*sink, bytes);
        } catch (const std::exception& e) {
          log::error("smtp.spool_failed", {{"conn", conn_.id()}, {"error", e.what()}});
          spool_error = true;
        }
      },
      s_.config.limits.max_message_size);
  while (!decoder.done()) {
    auto chunk = co_await reader_.read_chunk();
    if (chunk.status != net::IoStatus::ok) {  // the client is gone: nothing is delivered
      if (chunk.status == net::IoStatus::timeout) reply(421, "4.4.2", hostname() + " Timeout during DATA, closing connection");
      closing_ = true;
      co_return;
    }
    size_t used = decoder.feed(chunk.data);
    if (decoder.done()) reader_.unread(chunk.data.size() - used);  // pipelined commands after "."
  }
  const DataStats& st = decoder.stats();
  std::optional<Reply> refusal;
  if (st.too_large || (sink && sink->too_large())) {
    refusal = too_big();
  } else if (st.suspicious_dot_line) {
    // A "." line next to a bare CR/LF: the SMTP smuggling pattern; some other server would see
    // two messages here. Refuse rather than guess.
    refusal = Reply{554, "5.5.2", "Message refused: bare CR or LF around an end-of-data dot"};
  } else if (spool_error || !sink) {
    refusal = spool_failed();
  } else {
    try {
      refusal = end_spool(*sink);  // submission: From: policy, Date and Message-ID
    } catch (const std::exception& e) {
      log::error("smtp.spool_failed", {{"conn", conn_.id()}, {"error", e.what()}});
      refusal = spool_failed();
    }
  }
  co_await finish_message(sink, refusal);
}

net::awaitable<void> Session::cmd_bdat(const Command& cmd) {
  // RFC 3030 2: a refused BDAT still has its chunk coming; read and drop it, then answer.
  if (auto refusal = data_precondition()) {
    if (!co_await discard_bytes(cmd.chunk_size)) co_return;
    refuse(*refusal);
    co_return;
  }
  if (!tx_.bdat && !tx_.bdat_failed) {
    try {
      tx_.bdat.emplace(delivery_.begin_message(envelope()));
      begin_spool();
    } catch (const std::exception& e) {
      log::error("smtp.spool_failed", {{"conn", conn_.id()}, {"error", e.what()}});
      tx_.bdat_failed = true;
    }
  }
  std::function<void(std::string_view)> to_spool = [this](std::string_view bytes) {
    if (!tx_.bdat || tx_.bdat_failed) return;
    try {
      this->spool(*tx_.bdat, bytes);
    } catch (const std::exception& e) {
      log::error("smtp.spool_failed", {{"conn", conn_.id()}, {"error", e.what()}});
      tx_.bdat_failed = true;
    }
  };
  bool complete = co_await reader_.read_exact(cmd.chunk_size, to_spool);
  if (!complete) {
    if (reader_.last_status() == net::IoStatus::timeout)
      reply(421, "4.4.2", hostname() + " Timeout during BDAT, closing connection");
    closing_ = true;
    co_return;
  }
  bool too_large = tx_.bdat && tx_.bdat->too_large();
  if (!cmd.last_chunk) {
    if (too_large) {
      reply(too_big());
    } else if (tx_.bdat_failed) {
      reply(spool_failed());
    } else {
      reply(250, "2.0.0", std::to_string(cmd.chunk_size) + " octets received");
    }
    co_return;
  }
  std::optional<Reply> refusal;
  if (too_large) {
    refusal = too_big();
  } else if (tx_.bdat_failed || !tx_.bdat) {
    refusal = spool_failed();
  } else {
    try {
      refusal = end_spool(*tx_.bdat);
    } catch (const std::exception& e) {
      log::error("smtp.spool_failed", {{"conn", conn_.id()}, {"error", e.what()}});
      refusal = spool_failed();
    }
  }
  co_await finish_message(tx_.bdat, refusal);
}

void Session::begin_spool() {
  filter_.reset();
  if (!mode_.submission || !identity_) return;
  auto now = std::chrono::system_clock::now();
  filter_.emplace(*identity_, hostname(), now, local_utc_offset_minutes(now));
}

void Session::spool(delivery::MessageSink& sink, std::string_view bytes) {
  if (!filter_) return sink.write(bytes);
  filter_->write(bytes, [&sink](std::string_view b) { sink.write(b); });
}

// The message ended: releases what the submission filter still holds; its refusal if any.
std::optional<Reply> Session::end_spool(delivery::MessageSink& sink) {
  if (!filter_) return std::nullopt;
  filter_->finish([&sink](std::string_view b) { sink.write(b); });
  auto refusal = filter_->refusal();
  filter_.reset();
  return refusal;
}

net::awaitable<bool> Session::discard_bytes(uint64_t n) {
  std::function<void(std::string_view)> drop = [](std::string_view) {};
  bool ok = co_await reader_.read_exact(n, drop);
  if (!ok) closing_ = true;
  co_return ok;
}

// Delivers (unless refused) and answers. The transaction ends either way.
net::awaitable<void> Session::finish_message(std::optional<delivery::MessageSink>& sink, std::optional<Reply> refusal) {
  std::vector<delivery::RecipientStatus> statuses;
  uint64_t size = sink ? sink->message_bytes() : 0;
  if (!refusal) {
    try {
      // Blocking: fsync of the blob, then ONE store transaction for every recipient.
      auto style = mode_.lmtp ? delivery::ReplyStyle::per_recipient : delivery::ReplyStyle::one_reply;
      auto deliver = [this, &sink, style] { return delivery_.deliver(std::move(*sink), tx_.recipients, style); };
      statuses = co_await offload(deliver);
    } catch (const std::exception& e) {
      log::error("smtp.deliver_failed", {{"conn", conn_.id()}, {"error", e.what()}});
      refusal = Reply{451, "4.3.0", "Local delivery failed, try again later"};
    }
  }
  if (refusal) {
    for (size_t i = 0; i < tx_.recipients.size(); ++i) {
      auto kind = refusal->code >= 500 ? delivery::RecipientStatus::Kind::permanent : delivery::RecipientStatus::Kind::temporary;
      statuses.push_back({kind, refusal->code, refusal->enhanced, refusal->text});
    }
  }
  size_t delivered = 0;
  for (const auto& s : statuses) delivered += s.ok() ? 1 : 0;
  log::info("smtp.message", {{"conn", conn_.id()}, {"service", mode_.name}, {"from", tx_.sender}, {"size", size},
                             {"recipients", tx_.recipients.size()}, {"delivered", delivered}});
  reply_after_data(statuses);
  reset_transaction();
}

void Session::reply_after_data(const std::vector<delivery::RecipientStatus>& statuses) {
  if (mode_.lmtp) {
    // RFC 2033 4.2: one reply per successful RCPT, in RCPT order.
    for (const auto& s : statuses) reply(s.code, s.enhanced, s.text);
    return;
  }
  // SMTP has one reply for the message (RFC 5321 4.1.1.4). delivery::message_reply picks it:
  // any temporary failure refuses the message with 4xx; otherwise a 250 once something was
  // delivered, and deliver() has sent a DSN for each recipient that failed permanently.
  auto r = delivery::message_reply(statuses);
  reply(r.code, r.enhanced, r.text);
}

}  // namespace kurier::smtp
