// The quota warning message (the seed's quotawarn): written into the INBOX once when usage
// crosses delivery.quota_warning_percent. An RFC 5322 message marked Auto-Submitted (RFC 3834)
// so that vacation responders never answer it.
#include <ctime>
#include <random>

#include "common/log.h"
#include "common/strings.h"
#include "delivery/delivery_service.h"
#include "delivery/delivery_state.h"
#include "mime/cache.h"
#include "mime/part.h"
#include "store/blob_store.h"
#include "store/mail_store.h"

namespace kurier::delivery {
namespace {

// RFC 5322 3.3 date-time in UTC, independent of the C locale.
std::string rfc5322_date_utc(std::time_t when) {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&when, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string warning_text(const std::string& hostname, const std::string& address, uint64_t used, uint64_t quota,
                         int percent) {
  std::time_t now = std::time(nullptr);
  std::string id = std::to_string(now) + "." + std::to_string(std::random_device{}());
  std::string m;
  m += "Return-Path: <>\r\n";
  m += "Date: " + rfc5322_date_utc(now) + "\r\n";
  m += "From: Mail Delivery System <MAILER-DAEMON@" + hostname + ">\r\n";
  m += "To: <" + address + ">\r\n";
  m += "Subject: Mailbox quota warning: " + std::to_string(percent) + "% used\r\n";
  m += "Message-ID: <quota-warning." + id + "@" + hostname + ">\r\n";
  m += "Auto-Submitted: auto-generated\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "Content-Transfer-Encoding: 7bit\r\n\r\n";
  m += "Your mailbox " + address + " uses " + format_size(used) + " of its " + format_size(quota) + " quota (" +
       std::to_string(percent) + "%).\r\n\r\n";
  m += "When it is full, new messages are held back by the sending servers and returned to\r\n";
  m += "their senders after a few days. Please delete messages you no longer need, and empty\r\n";
  m += "the Trash.\r\n";
  return m;
}

}  // namespace

void DeliveryService::maybe_warn_quota(const LocalRecipient& account) {
  int pct = settings_.quota_warning_percent;
  if (pct <= 0 || account.quota == 0) return;
  uint64_t used = usage_bytes(account.account_id);
  bool above = (unsigned __int128)used * 100 >= (unsigned __int128)account.quota * unsigned(pct);
  bool warned = state_->quota_warned(account.account_id);
  if (above && !warned) {
    send_quota_warning(account, used, int((unsigned __int128)used * 100 / account.quota));
    state_->set_quota_warned(account.account_id, true, std::time(nullptr));
  } else if (!above && warned) {
    state_->set_quota_warned(account.account_id, false, std::time(nullptr));
  }
}

void DeliveryService::send_quota_warning(const LocalRecipient& account, uint64_t used, int percent) {
  std::string text = warning_text(settings_.hostname, account.address, used, account.quota, percent);
  auto writer = blobs_.create();
  writer->write(text);
  store::BlobId blob = writer->commit();
  try {
    store::NewMessage m{blob, text.size(), int64_t(std::time(nullptr)), 0, mime::serialize(mime::parse_message(text))};
    store_.append(inbox_of(account), m, {});
    log::info("delivery.quota_warning", {{"account", account.address}, {"percent", percent}});
  } catch (...) {
    blobs_.remove(blob);
    throw;
  }
}

}  // namespace kurier::delivery
