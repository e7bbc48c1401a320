#include "queue/dsn.h"

#include <openssl/rand.h>

#include <chrono>

#include "common/strings.h"
#include "common/xtext.h"
#include "queue/envelope.h"
#include "smtp_protocol/headers.h"

namespace kurier::queue {
namespace {

std::string date(int64_t unix_seconds) {
  return smtp::format_rfc5322_date(std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds)));
}

std::string random_token() {
  unsigned char raw[12];
  if (RAND_bytes(raw, sizeof raw) != 1) return std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : raw) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::string clean(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

// RFC 3464 2.3.1: Original-Recipient carries the ORCPT address decoded from xtext.
std::string original_recipient(std::string_view orcpt) {
  auto semi = orcpt.find(';');
  if (semi == std::string_view::npos) return "";
  auto decoded = decode_xtext(orcpt.substr(semi + 1));
  if (!decoded) return "";
  return std::string(trim(orcpt.substr(0, semi))) + ";" + *decoded;
}

const char* subject(NoticeKind k) {
  switch (k) {
    case NoticeKind::failure: return "Undelivered Mail Returned to Sender";
    case NoticeKind::delay: return "Delayed Mail (still being retried)";
    case NoticeKind::success: return "Successful Mail Delivery Report";
  }
  return "";
}

std::string human_text(const DsnReport& r) {
  std::string t = "This is the mail system at host " + r.reporting_mta + ".\r\n\r\n";
  switch (r.kind) {
    case NoticeKind::failure:
      t += "I'm sorry to have to inform you that your message could not\r\n"
           "be delivered to one or more recipients. It's attached below.\r\n\r\n"
           "For further assistance, please send mail to postmaster.\r\n\r\n";
      break;
    case NoticeKind::delay:
      t += "####################################################################\r\n"
           "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\r\n"
           "####################################################################\r\n\r\n"
           "Your message could not be delivered yet. It will be retried until\r\n" +
           date(r.retry_until) + ".\r\n\r\n";
      break;
    case NoticeKind::success:
      t += "Your message was successfully delivered to the destination(s)\r\n"
           "listed below. If the message was delivered to a mailbox you will\r\n"
           "receive no further notifications. Otherwise you may still receive\r\n"
           "notifications of mail delivery errors from other systems.\r\n\r\n";
      break;
  }
  t += "                   The mail system\r\n\r\n";
  for (const auto& rcpt : r.recipients) {
    std::string why = rcpt.diagnostic;
    auto semi = why.find(';');
    if (semi != std::string::npos) why = std::string(trim(std::string_view(why).substr(semi + 1)));
    std::string line = "<" + rcpt.address + ">: " + rcpt.action;
    if (!rcpt.remote_mta.empty()) line += ", host " + rcpt.remote_mta;
    if (!why.empty()) line += ": " + why;
    t += clean(line) + "\r\n";
  }
  return t;
}

std::string delivery_status(const DsnReport& r) {
  std::string s = folded_field("Reporting-MTA", "dns; " + r.reporting_mta);
  if (!r.queue_id.empty()) s += folded_field("X-Kurier-Queue-ID", r.queue_id);  // none: a local delivery
  if (!r.envid.empty())
    if (auto envid = decode_xtext(r.envid)) s += folded_field("Original-Envelope-Id", *envid);
  s += folded_field("X-Kurier-Sender", "rfc822; " + r.original_sender);
  s += folded_field("Arrival-Date", date(r.arrival));
  for (const auto& rcpt : r.recipients) {
    s += "\r\n";
    if (!rcpt.orcpt.empty()) {
      std::string orig = original_recipient(rcpt.orcpt);
      if (!orig.empty()) s += folded_field("Original-Recipient", orig);
    }
    s += folded_field("Final-Recipient", "rfc822; " + rcpt.address);
    s += folded_field("Action", rcpt.action);
    s += folded_field("Status", rcpt.status);
    if (!rcpt.remote_mta.empty()) s += folded_field("Remote-MTA", "dns; " + rcpt.remote_mta);
    if (!rcpt.diagnostic.empty()) s += folded_field("Diagnostic-Code", rcpt.diagnostic);
    if (rcpt.last_attempt) s += folded_field("Last-Attempt-Date", date(rcpt.last_attempt));
    if (r.kind == NoticeKind::delay && r.retry_until) s += folded_field("Will-Retry-Until", date(r.retry_until));
  }
  return s;
}

}  // namespace

const char* to_string(NoticeKind k) {
  switch (k) {
    case NoticeKind::failure: return "failure";
    case NoticeKind::delay: return "delay";
    case NoticeKind::success: return "success";
  }
  return "failure";
}

std::string folded_field(std::string_view name, std::string_view value_in) {
  std::string value = clean(value_in);
  std::string out(name);
  out += ":";
  size_t line = out.size();
  for (auto word : split(value, ' ')) {
    if (word.empty()) continue;
    if (line > 1 + name.size() && line + 1 + word.size() > 78) {
      out += "\r\n";
      line = 0;
    }
    out += " ";
    out += word;
    line += 1 + word.size();
  }
  out += "\r\n";
  return out;
}

namespace {

// RFC 5322 2.2: field-name = 1*ftext, ftext = %d33-57 / %d59-126, then ":".
bool is_field_line(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] >= 33 && line[i] <= 126 && line[i] != ':') ++i;
  return i > 0 && i < line.size() && line[i] == ':';
}

std::string_view without_line_end(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

void HeaderSectionFilter::feed(std::string_view chunk) {
  while (!done_ && !chunk.empty()) {
    size_t nl = chunk.find('\n');
    size_t take = nl == std::string_view::npos ? chunk.size() : nl + 1;
    if (passed_ + line_.size() + take > kMaxBytes) {  // too long: cut at the last line end
      done_ = true;
      return;
    }
    line_.append(chunk.substr(0, take));
    chunk.remove_prefix(take);
    if (nl != std::string_view::npos) {
      take_line(line_);
      line_.clear();
    }
  }
}

void HeaderSectionFilter::finish() {
  if (!done_ && !line_.empty()) take_line(line_);
  line_.clear();
  done_ = true;
}

void HeaderSectionFilter::take_line(std::string_view line) {
  std::string_view text = without_line_end(line);
  bool continuation = in_field_ && !text.empty() && (text[0] == ' ' || text[0] == '\t');
  if (text.empty() || (!continuation && !is_field_line(text))) {
    if (text.empty()) sink_(line);  // the empty line that ends the header section
    done_ = true;                   // a body line is never passed on
    return;
  }
  in_field_ = true;
  passed_ += line.size();
  sink_(line);
}

std::string header_section(std::string_view message) {
  std::string out;
  HeaderSectionFilter filter([&out](std::string_view s) { out.append(s); });
  filter.feed(message);
  filter.finish();
  return out;
}

void write_dsn(const DsnReport& r, const ByteSink& out, const OriginalWriter& original) {
  std::string token = r.queue_id.empty() ? random_token() : r.queue_id + "." + random_token();
  std::string boundary = r.boundary.empty() ? token + "/" + r.reporting_mta : r.boundary;
  std::string message_id = r.message_id.empty() ? "<" + token + "@" + r.reporting_mta + ">" : r.message_id;
  std::string h;
  h += folded_field("Date", date(r.now));
  h += folded_field("From", "MAILER-DAEMON@" + r.reporting_mta + " (Mail Delivery System)");
  h += folded_field("To", r.original_sender);
  h += folded_field("Subject", subject(r.kind));
  h += folded_field("Message-ID", message_id);
  h += folded_field("Auto-Submitted", "auto-replied");  // RFC 3834 5
  h += "MIME-Version: 1.0\r\n";
  h += "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + boundary + "\"\r\n";
  h += "\r\nThis is a MIME-encapsulated message.\r\n\r\n";
  h += "--" + boundary + "\r\n";
  h += "Content-Description: Notification\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n";
  h += human_text(r);
  h += "\r\n--" + boundary + "\r\n";
  h += "Content-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n";
  h += delivery_status(r);
  h += "\r\n--" + boundary + "\r\n";
  bool full = r.return_full_message;
  h += full ? "Content-Description: Undelivered Message\r\nContent-Type: message/rfc822\r\n"
            : "Content-Description: Message Headers\r\nContent-Type: text/rfc822-headers\r\n";
  if (r.eight_bit) h += "Content-Transfer-Encoding: 8bit\r\n";  // RFC 2046 5.2.1: 7bit/8bit/binary only
  h += "\r\n";
  out(h);
  // The original ends with CRLF (the spool is CRLF-normalized); a message without a final line
  // end gets one so the boundary starts a line (RFC 2046 5.1.1).
  bool ends_with_newline = true;
  ByteSink track = [&](std::string_view s) {
    if (!s.empty()) ends_with_newline = s.back() == '\n';
    out(s);
  };
  if (full) {
    original(track);
  } else {
    HeaderSectionFilter filter(track);
    original([&](std::string_view s) { filter.feed(s); });
    filter.finish();
  }
  out(std::string(ends_with_newline ? "" : "\r\n") + "\r\n--" + boundary + "--\r\n");
}

}  // namespace kurier::queue
