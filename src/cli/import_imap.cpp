// IMAP-to-IMAP import (import_imap.h): LIST, then per folder EXAMINE (UIDVALIDITY, UIDNEXT),
// UID SEARCH ALL, and UID FETCH of what an earlier run did not import, in batches that the
// server streams back to back; LSUB for the subscriptions.
#include "cli/import_imap.h"

#include <algorithm>
#include <optional>

#include "cli/context.h"
#include "common/strings.h"
#include "imap_protocol/datetime.h"
#include "imap_protocol/utf7.h"
#include "store/mailbox_name.h"

namespace kurier::cli {
namespace {

using namespace kurier::mail_import;

constexpr size_t kFetchBatch = 500;

// The source's name in kurier's terms: modified UTF-7 decoded (RFC 3501 5.1.3), its hierarchy
// delimiter made '/'. nullopt when that cannot be done without changing the hierarchy.
std::optional<std::string> local_name(const ListEntry& e) {
  auto decoded = imap::utf7_decode(e.name);
  std::string name = decoded ? *decoded : e.name;
  if (!e.delimiter.empty() && e.delimiter != "/") {
    if (name.find('/') != std::string::npos) return std::nullopt;
    std::replace(name.begin(), name.end(), e.delimiter[0], '/');
  }
  if (name.empty() || name.front() == '/' || name.back() == '/' || name.find("//") != std::string::npos) return std::nullopt;
  return store::normalize_mailbox_name(name);
}

bool selectable(const ListEntry& e) {
  for (const auto& a : e.attributes)
    if (iequals(a, "\\Noselect") || iequals(a, "\\NonExistent")) return false;
  return true;
}

class BlobSink final : public BodySink {
 public:
  explicit BlobSink(ImportTarget& target) : target_(target) {}
  int begin(uint64_t) override {
    current_.emplace(target_.begin_message());
    return 0;
  }
  void write(std::string_view bytes) override { current_->write(bytes); }
  std::optional<MessageBlob> take() {
    std::optional<MessageBlob> out = std::move(current_);
    current_.reset();
    return out;
  }

 private:
  ImportTarget& target_;
  std::optional<MessageBlob> current_;
};

int64_t internal_date_of(const FetchData& f) {
  if (f.internal_date)
    if (auto dt = imap::parse_date_time(*f.internal_date)) return int64_t(imap::to_time_t(*dt));
  return int64_t(std::time(nullptr));
}

void import_folder(ImportTarget& target, ImapClient& client, const ListEntry& entry, const std::string& name) {
  SelectedInfo info = client.examine(entry.name);
  store::MailboxId box = target.open_folder(name, info.uidvalidity);
  std::vector<uint32_t> all = client.uid_search_all();
  target.progress().add_total(all.size());
  std::vector<uint32_t> wanted;
  auto key_of = [&](uint32_t uid) { return std::to_string(info.uidvalidity) + "/" + std::to_string(uid); };
  for (uint32_t uid : all) {
    if (target.already_imported(name, key_of(uid))) target.count_already(box);
    else wanted.push_back(uid);
  }
  BlobSink sink(target);
  for (size_t i = 0; i < wanted.size(); i += kFetchBatch) {
    client.fetch(uid_set(wanted, i, std::min(wanted.size(), i + kFetchBatch)), sink, [&](const FetchData& f) {
      auto blob = sink.take();
      if (!f.uid || !f.body) return;  // an unsolicited FETCH (flags changed meanwhile)
      if (!blob) {
        if (f.body->kind == Value::Kind::external) return;
        blob.emplace(target.begin_message());
        blob->write(f.body->text);  // a body sent as a quoted string
      }
      target.add(box, name, std::move(*blob), f.flags.value_or(store::Flags{}), *f.uid, key_of(*f.uid),
                 internal_date_of(f));
    });
  }
  target.finish_folder(box, info.uidnext);
}

}  // namespace

void import_imap(ImportTarget& target, ImapClient& client) {
  auto folders = client.list(false);
  for (const auto& entry : folders) {
    auto name = local_name(entry);
    if (!name) {
      target.skip("folder " + entry.name, "its name holds '/' beside the delimiter \"" + entry.delimiter + "\"");
      continue;
    }
    if (!selectable(entry)) continue;
    import_folder(target, client, entry, *name);
  }
  for (const auto& entry : client.list(true))
    if (auto name = local_name(entry)) target.subscribe(*name);
}

}  // namespace kurier::cli
