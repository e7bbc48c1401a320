// LineReader implementation (see line_reader.h).
#include "net/line_reader.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <cstring>

namespace kurier::net {

const char* to_string(LineStatus status) {
  switch (status) {
    case LineStatus::ok: return "ok";
    case LineStatus::too_long: return "too_long";
    case LineStatus::eof: return "eof";
    case LineStatus::timeout: return "timeout";
    case LineStatus::shutdown: return "shutdown";
    case LineStatus::error: return "error";
  }
  return "error";
}

namespace {

LineStatus line_status(IoStatus s) {
  switch (s) {
    case IoStatus::ok: return LineStatus::ok;
    case IoStatus::eof: return LineStatus::eof;
    case IoStatus::timeout: return LineStatus::timeout;
    case IoStatus::shutdown: return LineStatus::shutdown;
    case IoStatus::error: return LineStatus::error;
  }
  return LineStatus::error;
}

}  // namespace

LineReader::LineReader(Connection& conn, std::size_t buffer_size)
    : conn_(conn),
      limit_(std::max<std::size_t>(buffer_size, 512)),
      buf_(std::min(limit_, kInitialBufferSize)) {}

void LineReader::grow() {
  if (buf_.size() < limit_) buf_.resize(std::min(limit_, buf_.size() * 2));
}

void LineReader::shrink_if_empty() {
  if (begin_ == end_ && buf_.size() > kInitialBufferSize && limit_ >= kInitialBufferSize) {
    std::vector<char>(kInitialBufferSize).swap(buf_);
    begin_ = end_ = 0;
    last_chunk_size_ = 0;
  }
}

LineResult LineReader::fail(IoStatus status) {
  last_status_ = status;
  return LineResult{line_status(status), {}};
}

void LineReader::reserve_for_line(std::size_t max_len) {
  const std::size_t needed = max_len + 2;  // the line plus CRLF
  if (limit_ < needed) limit_ = needed;
}

awaitable<IoStatus> LineReader::fill() {
  last_chunk_size_ = 0;  // unread() may only give back bytes that are still in place
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (end_ == buf_.size() && begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) grow();
  if (end_ == buf_.size()) co_return IoStatus::error;  // callers never let this happen
  const std::size_t space = buf_.size() - end_;
  ReadResult r = co_await conn_.read_some(std::span<char>(buf_.data() + end_, space));
  end_ += r.size;
  if (r.size == space && begin_ == 0) grow();  // a full read: the peer is streaming, read more at once
  last_status_ = r.status;
  co_return r.status;
}

awaitable<LineResult> LineReader::read_line(std::size_t max_len) {
  reserve_for_line(max_len);
  std::size_t scanned = 0;  // bytes after begin_ known to hold no LF
  // The connection's timeout bounds the time between reads; a line must also be complete within
  // it once its first byte came, or a client trickling a byte now and then would hold its
  // connection (and its slot of the per-IP limit) for ever (slowloris).
  std::optional<std::chrono::steady_clock::time_point> line_started;
  for (;;) {
    const char* start = buf_.data() + begin_;
    const char* nl = static_cast<const char*>(std::memchr(start + scanned, '\n', end_ - begin_ - scanned));
    if (nl) {
      std::size_t len = static_cast<std::size_t>(nl - start);
      std::size_t consumed = len + 1;
      if (len > 0 && start[len - 1] == '\r') --len;
      begin_ += consumed;
      if (len > max_len) co_return LineResult{LineStatus::too_long, {}};
      co_return LineResult{LineStatus::ok, std::string(start, len)};
    }
    scanned = end_ - begin_;
    if (scanned > max_len + 1) co_return co_await discard_rest_of_line();  // +1: a CR may follow
    if (scanned > 0 && !line_started) line_started = std::chrono::steady_clock::now();
    if (line_started && conn_.timeout().count() > 0 &&
        std::chrono::steady_clock::now() - *line_started > conn_.timeout())
      co_return fail(IoStatus::timeout);
    IoStatus status = co_await fill();
    if (status != IoStatus::ok) co_return fail(status);
  }
}

awaitable<LineResult> LineReader::discard_rest_of_line() {
  for (;;) {
    const char* start = buf_.data() + begin_;
    if (const char* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_))) {
      begin_ += static_cast<std::size_t>(nl - start) + 1;
      co_return LineResult{LineStatus::too_long, {}};
    }
    begin_ = end_ = 0;
    IoStatus status = co_await fill();
    if (status != IoStatus::ok) co_return fail(status);
  }
}

awaitable<LineResult> LineReader::read_command(std::size_t max_len) {
  if (conn_.shutdown_requested()) {
    IoStatus status = co_await conn_.finish_shutdown();
    co_return fail(status);
  }
  shrink_if_empty();
  conn_.set_waiting_for_command(true);
  LineResult result = co_await read_line(max_len);
  conn_.set_waiting_for_command(false);
  co_return result;
}

awaitable<bool> LineReader::read_exact(std::uint64_t n, std::function<void(std::string_view)> sink) {
  while (n > 0) {
    if (begin_ == end_) {
      IoStatus status = co_await fill();
      if (status != IoStatus::ok) co_return false;
    }
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(n, end_ - begin_));
    sink(std::string_view(buf_.data() + begin_, take));
    begin_ += take;
    n -= take;
  }
  co_return true;
}

awaitable<ChunkResult> LineReader::read_chunk() {
  last_chunk_size_ = 0;
  if (begin_ == end_) {
    IoStatus status = co_await fill();
    if (status != IoStatus::ok) co_return ChunkResult{status, {}};
  }
  std::string_view data(buf_.data() + begin_, end_ - begin_);
  begin_ = end_;
  last_chunk_size_ = data.size();
  co_return ChunkResult{IoStatus::ok, data};
}

void LineReader::unread(std::size_t n) {
  n = std::min(n, last_chunk_size_);
  begin_ -= n;
  last_chunk_size_ -= n;
}

std::size_t LineReader::discard_buffered() {
  const std::size_t dropped = end_ - begin_;
  begin_ = end_ = 0;
  return dropped;
}

awaitable<bool> LineReader::start_tls() {
  discard_buffered();
  co_return co_await conn_.start_tls();
}

void LineReader::start_deflate() {
  conn_.start_deflate(std::string_view(buf_.data() + begin_, end_ - begin_));
  begin_ = end_ = 0;
}

}  // namespace kurier::net
