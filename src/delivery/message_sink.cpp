// MessageSink: spools an incoming message to a blob through a 64 KiB buffer, after the trace
// headers delivery prepends (see delivery_service.h for which and why).
#include "delivery/delivery_service.h"
#include "store/blob_store.h"

namespace kurier::delivery {
namespace {

constexpr size_t kBufferSize = 64 * 1024;

// Envelope addresses come from a parsed command, but a header line must never be broken.
std::string header_safe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
  return out;
}

// The trace fields of the final delivery, which a relayed copy or a returned message omits.
std::string local_trace_headers(const MessageEnvelope& envelope) {
  // RFC 5321 4.4: the final delivery adds Return-Path with the reverse-path, "<>" when null.
  std::string out = "Return-Path: <" + header_safe(envelope.sender) + ">\r\n";
  if (envelope.recipients.size() == 1) out += delivered_to_field(envelope.recipients.front());
  return out;
}

}  // namespace

MessageSink::MessageSink(std::unique_ptr<store::BlobWriter> writer, MessageEnvelope envelope, uint64_t max_bytes)
    : writer_(std::move(writer)), envelope_(std::move(envelope)), max_bytes_(max_bytes) {
  buffer_.reserve(kBufferSize);
  buffer_.append(local_trace_headers(envelope_));
  local_trace_bytes_ = buffer_.size();
  buffer_.append(envelope_.received);
}

MessageSink::~MessageSink() = default;
MessageSink::MessageSink(MessageSink&&) noexcept = default;
MessageSink& MessageSink::operator=(MessageSink&&) noexcept = default;

void MessageSink::write(std::string_view chunk) {
  if (too_large_) return;
  if (chunk.size() > max_bytes_ - message_bytes_) {
    too_large_ = true;  // the rest is dropped; deliver() refuses the message
    return;
  }
  message_bytes_ += chunk.size();
  if (!trace_.header_done()) trace_.feed(chunk);
  if (buffer_.size() + chunk.size() > kBufferSize) flush();
  if (chunk.size() >= kBufferSize) {
    writer_->write(chunk);
  } else {
    buffer_.append(chunk);
  }
}

void MessageSink::flush() {
  if (buffer_.empty()) return;
  writer_->write(buffer_);
  buffer_.clear();
}

}  // namespace kurier::delivery
