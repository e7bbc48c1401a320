#include "smtp_protocol/data.h"

#include <algorithm>

namespace kurier::smtp {

// ---------------------------------------------------------------- DataDecoder

DataDecoder::DataDecoder(ByteSink sink, uint64_t max_bytes) : sink_(std::move(sink)), max_bytes_(max_bytes) {}

size_t DataDecoder::feed(std::string_view chunk) {
  size_t consumed = 0;
  while (consumed < chunk.size() && state_ != State::Done) step(chunk[consumed++]);
  stats_.raw_bytes += consumed;
  flush();
  return consumed;
}

void DataDecoder::step(char c) {
  switch (state_) {
    case State::LineStart: step_line_start(c); break;
    case State::Dot: step_dot(c); break;
    case State::DotCr: step_dot_cr(c); break;
    case State::Middle: step_middle(c); break;
    case State::Cr: step_cr(c); break;
    case State::Done: break;
  }
}

void DataDecoder::step_line_start(char c) {
  if (c == '.') {
    state_ = State::Dot;  // RFC 5321 4.5.2: the first dot of a line is removed
  } else {
    step_middle(c);
  }
}

void DataDecoder::step_dot(char c) {
  if (c == '\r') {
    state_ = State::DotCr;
  } else if (c == '\n') {
    stats_.suspicious_dot_line = true;  // "." ended by a bare LF: not an end marker
    step_middle(c);
  } else {
    step_middle(c);
  }
}

void DataDecoder::step_dot_cr(char c) {
  if (c == '\n' && prev_line_crlf_) {
    // CRLF "." CRLF (RFC 5321 4.1.1.4). If no empty line was seen, all of it was header.
    if (!stats_.header_complete) stats_.header_bytes = stats_.message_bytes;
    state_ = State::Done;
    return;
  }
  // "." after a bare LF, or "." followed by a bare CR: data, and a smuggling pattern.
  stats_.suspicious_dot_line = true;
  state_ = State::Middle;
  step_cr(c);
}

void DataDecoder::step_middle(char c) {
  // Bare CR "." followed by CR or LF: the "<CR>.<CR>" smuggling variant.
  if (dot_after_bare_cr_ && (c == '\r' || c == '\n')) stats_.suspicious_dot_line = true;
  dot_after_bare_cr_ = false;
  if (c == '\r') {
    state_ = State::Cr;
  } else if (c == '\n') {
    stats_.bare_lf = true;  // RFC 5321 2.3.8: accepted as a line end, normalised to CRLF
    end_line(false);
  } else {
    emit(c);
    ++line_length_;
    state_ = State::Middle;
  }
}

void DataDecoder::step_cr(char c) {
  if (c == '\n') {
    end_line(true);
    return;
  }
  // A bare CR is kept as data (it is not a line end in RFC 5321 2.3.8).
  stats_.bare_cr = true;
  emit('\r');
  ++line_length_;
  state_ = State::Middle;
  step_middle(c);
  dot_after_bare_cr_ = c == '.';
}

void DataDecoder::end_line(bool crlf) {
  emit('\r');
  emit('\n');
  if (!stats_.header_complete && line_length_ == 0) {
    stats_.header_complete = true;
    stats_.header_bytes = stats_.message_bytes;
  }
  stats_.longest_line = std::max(stats_.longest_line, line_length_);
  line_length_ = 0;
  prev_line_crlf_ = crlf;
  state_ = State::LineStart;
}

void DataDecoder::emit(char c) {
  ++stats_.message_bytes;
  if (stats_.message_bytes > max_bytes_) {
    stats_.too_large = true;
    return;
  }
  if (buffered_ == buffer_.size()) flush();
  buffer_[buffered_++] = c;
}

void DataDecoder::flush() {
  if (buffered_ == 0) return;
  if (sink_) sink_(std::string_view(buffer_.data(), buffered_));
  buffered_ = 0;
}

// ---------------------------------------------------------------- DotStuffer

void DotStuffer::feed(std::string_view chunk) {
  for (char c : chunk) {
    if (pending_cr_) {
      pending_cr_ = false;
      emit("\r\n");  // CRLF, or a bare CR made into one
      at_line_start_ = true;
      if (c == '\n') continue;
    }
    if (c == '\r') {
      pending_cr_ = true;
    } else if (c == '\n') {
      emit("\r\n");  // bare LF (RFC 5321 2.3.8: must not be sent)
      at_line_start_ = true;
    } else {
      if (at_line_start_ && c == '.') emit(".");  // RFC 5321 4.5.2
      emit(std::string_view(&c, 1));
      at_line_start_ = false;
    }
  }
  flush();
}

void DotStuffer::finish() {
  if (pending_cr_) {
    pending_cr_ = false;
    emit("\r\n");
    at_line_start_ = true;
  }
  if (!at_line_start_) emit("\r\n");
  emit(".\r\n");
  at_line_start_ = true;
  flush();
}

void DotStuffer::emit(std::string_view s) {
  if (buffered_ + s.size() > buffer_.size()) flush();
  std::copy(s.begin(), s.end(), buffer_.begin() + static_cast<std::ptrdiff_t>(buffered_));
  buffered_ += s.size();
}

void DotStuffer::flush() {
  if (buffered_ == 0) return;
  if (sink_) sink_(std::string_view(buffer_.data(), buffered_));
  buffered_ = 0;
}

}  // namespace kurier::smtp
