// A small blocking IMAP client for `kurier import imap` (RFC 9051, and RFC 3501 servers):
// plain TCP, implicit TLS or STARTTLS (RFC 9051 6.2.1) over OpenSSL BIOs, LOGIN, LIST, LSUB,
// STATUS, EXAMINE, UID SEARCH and UID FETCH. Responses are read into Segments and parsed by
// the pure mail_import::parse_response; message bodies (BODY[] literals) go straight to a
// BodySink, so no message is held whole in memory.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "import/imap_response.h"

namespace kurier::cli {

enum class ImapTls { none, implicit, starttls };

// Where BODY[] literals go: begin() once per literal (its index is what the response's
// external value names), then write() with its bytes.
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual int begin(uint64_t size) = 0;
  virtual void write(std::string_view bytes) = 0;
};

struct SelectedInfo {
  uint32_t uidvalidity = 0;
  uint32_t uidnext = 0;
  uint32_t exists = 0;
};

class ImapClient {
 public:
  // Connects (and for implicit TLS / STARTTLS, verifies the server's certificate against the
  // system's CAs and `host` unless `verify` is false). Throws Failure.
  ImapClient(const std::string& host, int port, ImapTls tls, bool verify);
  ~ImapClient();
  ImapClient(const ImapClient&) = delete;
  ImapClient& operator=(const ImapClient&) = delete;

  void login(const std::string& user, const std::string& password);
  std::vector<mail_import::ListEntry> list(bool subscribed_only);
  SelectedInfo examine(const std::string& mailbox);
  std::vector<uint32_t> uid_search_all();
  // UID FETCH of `uids` (a UID set) with FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[]; each
  // FETCH response goes to `on_fetch` after its body went to `sink`.
  void fetch(const std::string& uids, BodySink& sink,
             const std::function<void(const mail_import::FetchData&)>& on_fetch);
  void logout();

 private:
  struct Impl;
  // Sends "TAG command", reads to the tagged response; untagged ones go to `on_untagged`.
  mail_import::Response run(const std::string& command,
                            const std::function<void(const mail_import::Response&)>& on_untagged,
                            BodySink* sink = nullptr);
  std::unique_ptr<Impl> impl_;
};

// "1:3,7,9:12" for ascending UIDs.
std::string uid_set(const std::vector<uint32_t>& uids, size_t begin, size_t end);

}  // namespace kurier::cli
