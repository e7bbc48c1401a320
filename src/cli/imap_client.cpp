// The import's IMAP client (imap_client.h).
#include "cli/imap_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>

#include "cli/context.h"
#include "common/strings.h"
#include "imap_protocol/quote.h"

namespace kurier::cli {
namespace {

using namespace kurier::mail_import;

constexpr size_t kMaxLine = 1 << 20;           // one response line
constexpr uint64_t kMaxInlineLiteral = 1 << 20;  // a literal that is not a message body

std::string ssl_error() {
  unsigned long e = ERR_get_error();
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return e ? std::string(buf) : std::string("connection closed");
}

bool body_literal(std::string_view line) {
  size_t brace = line.rfind('{');
  std::string upper = to_upper(line.substr(0, brace));
  while (!upper.empty() && upper.back() == ' ') upper.pop_back();
  return upper.ends_with("BODY[]") || upper.ends_with("RFC822");
}

}  // namespace

struct ImapClient::Impl {
  SSL_CTX* ctx = nullptr;
  BIO* bio = nullptr;  // the connection, with an SSL BIO on top once TLS runs
  std::string buf;
  size_t pos = 0;
  int next_tag = 1;
  std::string host;
  bool verify = true;

  ~Impl() {
    if (bio) BIO_free_all(bio);
    if (ctx) SSL_CTX_free(ctx);
  }

  void fill() {
    if (pos > 0 && pos == buf.size()) {
      buf.clear();
      pos = 0;
    }
    char chunk[65536];
    int n = BIO_read(bio, chunk, sizeof chunk);
    if (n <= 0) throw Failure("IMAP server " + host + ": " + ssl_error());
    buf.append(chunk, size_t(n));
  }

  std::string read_line() {
    for (;;) {
      size_t nl = buf.find("\r\n", pos);
      if (nl != std::string::npos) {
        std::string line = buf.substr(pos, nl - pos);
        pos = nl + 2;
        return line;
      }
      if (buf.size() - pos > kMaxLine) throw Failure("IMAP server " + host + " sent a line over 1 MiB");
      if (pos > 0) {
        buf.erase(0, pos);
        pos = 0;
      }
      fill();
    }
  }

  void read_exact(uint64_t n, const std::function<void(std::string_view)>& out) {
    while (n > 0) {
      if (pos == buf.size()) fill();
      size_t take = size_t(std::min<uint64_t>(n, buf.size() - pos));
      out(std::string_view(buf).substr(pos, take));
      pos += take;
      n -= take;
    }
  }

  void write(const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      int n = BIO_write(bio, data.data() + done, int(data.size() - done));
      if (n <= 0) throw Failure("IMAP server " + host + ": " + ssl_error());
      done += size_t(n);
    }
    BIO_flush(bio);
  }

  void start_tls() {
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) throw Failure("TLS: " + ssl_error());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (verify) {
      SSL_CTX_set_default_verify_paths(ctx);
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    }
    BIO* ssl_bio = BIO_new_ssl(ctx, 1);
    SSL* ssl = nullptr;
    BIO_get_ssl(ssl_bio, &ssl);
    SSL_set_tlsext_host_name(ssl, host.c_str());
    if (verify) SSL_set1_host(ssl, host.c_str());
    bio = BIO_push(ssl_bio, bio);
    if (BIO_do_handshake(bio) <= 0) {
      long result = SSL_get_verify_result(ssl);
      std::string why = result != X509_V_OK ? X509_verify_cert_error_string(result) : ssl_error();
      throw Failure("TLS with " + host + " failed: " + why + (verify ? " (--insecure skips the check)" : ""));
    }
  }
};

ImapClient::ImapClient(const std::string& host, int port, ImapTls tls, bool verify) : impl_(std::make_unique<Impl>()) {
  impl_->host = host;
  impl_->verify = verify;
  std::string target = host + ":" + std::to_string(port);
  impl_->bio = BIO_new_connect(target.c_str());
  if (!impl_->bio || BIO_do_connect(impl_->bio) <= 0) throw Failure("cannot connect to " + target + ": " + ssl_error());
  if (tls == ImapTls::implicit) impl_->start_tls();
  std::string greeting = impl_->read_line();
  if (!greeting.starts_with("* OK") && !greeting.starts_with("* PREAUTH"))
    throw Failure("IMAP server " + target + " refused: " + imap::sanitize_text(greeting));
  if (tls == ImapTls::starttls) {
    run("STARTTLS", {});
    impl_->buf.clear();  // RFC 9051 6.2.1: nothing sent before the handshake counts after it
    impl_->pos = 0;
    impl_->start_tls();
  }
}

ImapClient::~ImapClient() = default;

Response ImapClient::run(const std::string& command, const std::function<void(const Response&)>& on_untagged,
                         BodySink* sink) {
  std::string tag = "k" + std::to_string(impl_->next_tag++);
  impl_->write(tag + " " + command + "\r\n");
  for (;;) {
    std::vector<Segment> segments;
    for (;;) {
      Segment seg;
      seg.text = impl_->read_line();
      auto size = trailing_literal_size(seg.text);
      if (!size) {
        segments.push_back(std::move(seg));
        break;
      }
      seg.has_literal = true;
      if (sink && body_literal(seg.text)) {
        seg.external = sink->begin(*size);
        impl_->read_exact(*size, [&](std::string_view b) { sink->write(b); });
      } else {
        if (*size > kMaxInlineLiteral) throw Failure("IMAP server sent a literal of " + std::to_string(*size) + " bytes where a short string belongs");
        impl_->read_exact(*size, [&](std::string_view b) { seg.literal.append(b); });
      }
      segments.push_back(std::move(seg));
    }
    std::string error;
    auto response = parse_response(segments, error);
    if (!response) throw Failure("IMAP server sent an unreadable response: " + error);
    if (response->tag == "*" && !response->values.empty() && response->values[0].is_atom("BYE"))
      throw Failure("IMAP server closed the connection: " + imap::sanitize_text(response->text));
    if (response->tag == tag) {
      if (response->values.empty() || !response->values[0].is_atom("OK"))
        throw Failure("IMAP " + command.substr(0, command.find(' ')) + " failed: " + imap::sanitize_text(response->text));
      return *response;
    }
    if (response->tag == "*" && on_untagged) on_untagged(*response);
  }
}

void ImapClient::login(const std::string& user, const std::string& password) {
  // Quoted strings where possible; literals (RFC 9051 4.3) would need a continuation round trip.
  if (!imap::can_quote(user) || !imap::can_quote(password))
    throw Failure("the login or password holds characters IMAP LOGIN cannot send quoted");
  run("LOGIN " + imap::quoted(user) + " " + imap::quoted(password), {});
}

std::vector<ListEntry> ImapClient::list(bool subscribed_only) {
  std::vector<ListEntry> out;
  run(subscribed_only ? "LSUB \"\" \"*\"" : "LIST \"\" \"*\"", [&](const Response& r) {
    if (auto e = parse_list(r)) out.push_back(std::move(*e));
  });
  return out;
}

SelectedInfo ImapClient::examine(const std::string& mailbox) {
  SelectedInfo info;
  run("EXAMINE " + imap::imap_astring(mailbox), [&](const Response& r) {
    auto code = response_code(r);
    if (code.size() == 2 && code[0] == "UIDVALIDITY") info.uidvalidity = uint32_t(parse_uint(code[1]).value_or(0));
    if (code.size() == 2 && code[0] == "UIDNEXT") info.uidnext = uint32_t(parse_uint(code[1]).value_or(0));
    if (r.values.size() == 2 && r.values[1].is_atom("EXISTS")) info.exists = uint32_t(parse_uint(r.values[0].text).value_or(0));
  });
  return info;
}

std::vector<uint32_t> ImapClient::uid_search_all() {
  std::vector<uint32_t> uids;
  run("UID SEARCH ALL", [&](const Response& r) {
    if (r.values.empty() || !r.values[0].is_atom("SEARCH")) return;
    for (size_t i = 1; i < r.values.size(); ++i)
      if (auto n = parse_uint(r.values[i].text); n && *n > 0 && *n <= UINT32_MAX) uids.push_back(uint32_t(*n));
  });
  std::sort(uids.begin(), uids.end());
  return uids;
}

void ImapClient::fetch(const std::string& uids, BodySink& sink, const std::function<void(const FetchData&)>& on_fetch) {
  run("UID FETCH " + uids + " (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])", [&](const Response& r) {
    if (auto f = parse_fetch(r)) on_fetch(*f);
  }, &sink);
}

void ImapClient::logout() {
  try {
    run("LOGOUT", {});
  } catch (const Failure&) {
    // the server may close right after BYE
  }
}

std::string uid_set(const std::vector<uint32_t>& uids, size_t begin, size_t end) {
  std::string out;
  size_t i = begin;
  while (i < end) {
    size_t j = i;
    while (j + 1 < end && uids[j + 1] == uids[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(uids[i]);
    if (j > i) out += ":" + std::to_string(uids[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace kurier::cli
