#include "http/server.h"

#include "net/asio.h"  // first: it sets Boost.Asio's compile options

#include <array>
#include <chrono>
#include <optional>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <sstream>

#include "common/log.h"
#include "http/problem.h"
#include "http/query.h"
#include "net/connection.h"

namespace kurier::http {
namespace {

namespace bhttp = boost::beast::http;
using Parser = bhttp::request_parser<bhttp::string_body>;

enum class ReadOutcome { ok, closed, bad_request, header_too_large, body_too_large, timeout };

ReadOutcome classify(const boost::system::error_code& ec) {
  if (ec == bhttp::error::header_limit) return ReadOutcome::header_too_large;
  if (ec == bhttp::error::body_limit) return ReadOutcome::body_too_large;
  return ReadOutcome::bad_request;
}

bool expects_continue(const Parser& parser) {
  auto it = parser.get().find(bhttp::field::expect);
  return it != parser.get().end() && boost::beast::iequals(it->value(), "100-continue");
}

// The most raw bytes one request may take: its header, its body, and chunked framing for a body
// sent in small chunks. Beast's limits count the header and the decoded body, not chunk-size
// lines or trailers, so without this a chunk line that never ends would grow `buffer` forever.
size_t max_request_bytes(const Limits& limits) {
  return 2 * (limits.max_header_bytes + limits.max_body_bytes) + 64 * 1024;
}

// Feeds buffered and newly read bytes to the parser until one request is complete. Bytes after
// it stay in `buffer` (pipelined requests). Once the request has begun, all of it must arrive
// within limits.read_timeout: a deadline for the whole request, not for each read, so a client
// sending a byte now and then cannot hold the connection (slowloris).
net::awaitable<ReadOutcome> read_request(net::Connection& conn, std::string& buffer, Parser& parser,
                                         const Limits& limits) {
  using Clock = std::chrono::steady_clock;
  bool continue_sent = false;
  size_t consumed = 0;  // raw bytes of this request the parser took
  std::optional<Clock::time_point> deadline;
  std::array<char, 16 * 1024> chunk;
  for (;;) {
    if (!buffer.empty()) {
      boost::system::error_code ec;
      size_t used = parser.put(boost::asio::buffer(buffer.data(), buffer.size()), ec);
      buffer.erase(0, used);
      consumed += used;
      if (ec && ec != bhttp::error::need_more) co_return classify(ec);
      if (parser.is_done()) co_return ReadOutcome::ok;
      if (consumed + buffer.size() > max_request_bytes(limits)) co_return ReadOutcome::body_too_large;
      if (!ec && used > 0) continue;
    }
    if (parser.is_header_done() && !continue_sent && expects_continue(parser)) {
      // RFC 9110 10.1.1: the client waits for this before sending the body.
      continue_sent = true;
      bool written = co_await conn.write("HTTP/1.1 100 Continue\r\n\r\n");
      if (!written) co_return ReadOutcome::closed;
    }
    bool started = parser.got_some() || !buffer.empty();
    if (started && !deadline) deadline = Clock::now() + limits.read_timeout;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
      if (left.count() <= 0) co_return ReadOutcome::timeout;
      conn.set_timeout(left);
    } else {
      conn.set_timeout(limits.idle_timeout);
    }
    // Between requests the connection is idle: a shutdown may close it at once.
    conn.set_waiting_for_command(!started);
    auto r = co_await conn.read_some(std::span<char>(chunk.data(), chunk.size()));
    conn.set_waiting_for_command(false);
    if (r.status == net::IoStatus::timeout) co_return started ? ReadOutcome::timeout : ReadOutcome::closed;
    if (r.status != net::IoStatus::ok) {
      if (r.status != net::IoStatus::eof || !started) co_return ReadOutcome::closed;
      boost::system::error_code ec;
      parser.put_eof(ec);
      co_return !ec && parser.is_done() ? ReadOutcome::ok : ReadOutcome::closed;
    }
    buffer.append(chunk.data(), r.size);
  }
}

Request to_request(bhttp::request<bhttp::string_body>&& m, const net::Connection& conn) {
  Request r;
  r.method = std::string(m.method_string());
  r.target = std::string(m.target());
  for (const auto& f : m) r.headers.emplace(std::string(f.name_string()), std::string(f.value()));
  r.body = std::move(m.body());
  r.remote_ip = conn.remote_ip();
  r.tls = conn.is_tls();
  r.loopback = conn.is_loopback();
  return r;
}

std::string serialize(Response& r, bool keep_alive, bool head) {
  bhttp::response<bhttp::string_body> m{static_cast<bhttp::status>(r.status), 11};
  m.set(bhttp::field::server, "kurier");
  for (const auto& [k, v] : r.headers) m.insert(k, v);
  if (!r.content_type.empty()) m.set(bhttp::field::content_type, r.content_type);
  if (r.body_is_gzip) m.set(bhttp::field::content_encoding, "gzip");
  if (r.body_is_gzip || !r.header("ETag").empty()) m.set(bhttp::field::vary, "Accept-Encoding");
  m.keep_alive(keep_alive);
  size_t length = r.body.size();
  if (!head) m.body() = std::move(r.body);
  bool bodiless = r.status == 204 || r.status == 304 || r.status < 200;
  if (!bodiless) m.content_length(length);
  std::ostringstream out;
  out << m;
  return std::move(out).str();
}

// What the client gets when its request could not be read; the connection then closes.
std::optional<Response> read_failure_answer(ReadOutcome outcome) {
  switch (outcome) {
    case ReadOutcome::bad_request: return problem(400, "bad_request", "malformed HTTP request");
    case ReadOutcome::header_too_large: return problem(431, "header_too_large", "request header too large");
    case ReadOutcome::body_too_large: return problem(413, "body_too_large", "request body too large");
    case ReadOutcome::timeout: return problem(408, "request_timeout", "request not received in time");
    default: return std::nullopt;
  }
}

net::awaitable<Response> answer(Application& app, Request& req) {
  auto target = parse_target(req.target);
  if (!target) co_return problem(400, "bad_target", "malformed request target");
  req.path = std::move(target->path);
  req.query = std::move(target->query);
  try {
    Response r = co_await app.handle(req);
    co_return r;
  } catch (const std::exception& e) {
    log::error("http.handler_failed", {{"method", req.method}, {"path", req.path}, {"error", e.what()}});
  }
  co_return problem(500, "internal_error", "the server failed to answer this request");
}

}  // namespace

net::awaitable<void> serve_connection(net::Connection& conn, Application& app, Limits limits) {
  std::string buffer;
  for (unsigned served = 0; served < limits.max_requests_per_connection; ++served) {
    Parser parser;
    parser.header_limit(uint32_t(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
    parser.eager(true);
    ReadOutcome outcome = co_await read_request(conn, buffer, parser, limits);
    if (outcome != ReadOutcome::ok) {
      auto failure = read_failure_answer(outcome);
      if (failure) {
        add_security_headers(*failure, conn.is_tls());
        std::string bytes = serialize(*failure, false, false);
        co_await conn.write(bytes);
      }
      co_return;
    }
    bool keep_alive = parser.keep_alive() && served + 1 < limits.max_requests_per_connection &&
                      !conn.shutdown_requested();
    Request req = to_request(parser.release(), conn);
    Response res = co_await answer(app, req);
    add_security_headers(res, conn.is_tls());
    maybe_gzip(res, req);
    std::string bytes = serialize(res, keep_alive, req.method == "HEAD");
    bool written = co_await conn.write(bytes);
    if (!written || !keep_alive) co_return;
  }
}

}  // namespace kurier::http
