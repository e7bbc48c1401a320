// Sieve at delivery; see sieve_filing.h.
#include "server/sieve_filing.h"

#include <openssl/rand.h>

#include <chrono>
#include <ctime>

#include "common/log.h"
#include "common/strings.h"
#include "delivery/delivery_state.h"
#include "directory/directory.h"
#include "server/sieve_language.h"
#include "sieve/program.h"
#include "sieve/sieve.h"
#include "sieve/syntax.h"
#include "sieve/vacation.h"
#include "smtp_protocol/headers.h"
#include "store/flags.h"
#include "store/mail_store.h"

namespace kurier::server {
namespace {

constexpr size_t kCachedPrograms = 2000;

int64_t now_seconds() { return int64_t(std::time(nullptr)); }

int local_offset_minutes(std::time_t when) {
  std::tm local{};
  localtime_r(&when, &local);
  return int(local.tm_gmtoff / 60);
}

// imap4flags names (RFC 5232) to the store's flags: system flags by name, the rest keywords
// (those that are not valid IMAP atoms are dropped, as an IMAP STORE would refuse them).
store::Flags store_flags(const std::vector<std::string>& names) {
  store::Flags f;
  for (const auto& n : names) {
    std::string lower = to_lower(n);
    if (lower == "\\seen") f.system |= store::kSeen;
    else if (lower == "\\answered") f.system |= store::kAnswered;
    else if (lower == "\\flagged") f.system |= store::kFlagged;
    else if (lower == "\\deleted") f.system |= store::kDeleted;
    else if (lower == "\\draft") f.system |= store::kDraft;
    else if (store::is_valid_keyword(n)) f.keywords.push_back(n);
  }
  return store::canonical_flags(f);
}

// Sieve writes mailbox names with "/" or "." (RFC 5228 4.1 leaves the separator to the server;
// Cyrus users wrote "INBOX.Lists"). The store's separator is "/"; a leading "INBOX." or "INBOX/"
// names a mailbox below INBOX in Cyrus' style, which kurier keeps at the top level.
std::string store_mailbox_name(std::string name) {
  for (std::string_view prefix : {"INBOX.", "INBOX/", "inbox.", "inbox/"})
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0) name.erase(0, prefix.size());
  if (name.find('/') == std::string::npos)
    for (auto& c : name)
      if (c == '.') c = '/';
  return name;
}

std::string new_message_id(const std::string& hostname) {
  unsigned char random[12];
  RAND_bytes(random, sizeof random);
  static const char* kDigits = "0123456789abcdef";
  std::string id;
  for (unsigned char b : random) id += {kDigits[b >> 4], kDigits[b & 15]};
  return "<sieve." + id + "." + std::to_string(now_seconds()) + "@" + hostname + ">";
}

std::string date_now() { return smtp::format_rfc5322_date(std::chrono::system_clock::now(), local_offset_minutes(std::time(nullptr))); }

// RFC 5436 2.7: the notification sent for a "mailto:" notify action.
std::string notify_message(const sieve::Notify& n, const std::string& to, const std::string& from,
                           const std::string& hostname) {
  std::string m;
  m += "From: " + from + "\r\n";
  m += "To: <" + to + ">\r\n";
  m += "Subject: " + sieve::encode_header_value(n.message) + "\r\n";
  m += "Date: " + date_now() + "\r\n";
  m += "Message-ID: " + new_message_id(hostname) + "\r\n";
  m += "Auto-Submitted: auto-notified\r\n";  // RFC 5436 2.7.1
  if (n.importance == 1) m += "X-Priority: 1\r\n";
  m += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
  m += n.message + "\r\n";
  return m;
}

// "mailto:alice@example.org?subject=..." -> "alice@example.org" (RFC 6068; the library has
// validated the URI, the first address is the one notified).
std::string mailto_address(std::string_view uri) {
  uri.remove_prefix(std::min(uri.size(), std::string_view("mailto:").size()));
  uri = uri.substr(0, uri.find_first_of("?,"));
  std::string out;
  for (size_t i = 0; i < uri.size(); ++i) {
    if (uri[i] == '%' && i + 2 < uri.size()) {
      out += char(std::stoi(std::string(uri.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += uri[i];
    }
  }
  return out;
}

class DeliveryEnvironment final : public sieve::Environment {
 public:
  DeliveryEnvironment(const delivery::FilingRequest& r, const config::Config& c, store::MailStore& store,
                      delivery::DeliveryState& state, directory::Directory& dir, SieveFilingHook& hook)
      : request_(r), config_(c), store_(store), state_(state), dir_(dir), hook_(hook), message_(r.message) {}

  const sieve::Message& message() const override { return message_; }
  sieve::Envelope envelope() const override {
    return {std::string(request_.sender), std::string(request_.envelope_recipient), ""};
  }
  std::vector<std::string> user_addresses() const override {
    std::vector<std::string> out{request_.account.address};
    if (!iequals(request_.envelope_recipient, request_.account.address)) out.emplace_back(request_.envelope_recipient);
    return out;
  }
  int local_zone_minutes() const override { return local_offset_minutes(std::time(nullptr)); }
  std::string_view subaddress_separators() const override { return config_.delivery.subaddress_separator; }
  bool mailbox_exists(std::string_view name) const override {
    std::string mailbox = store_mailbox_name(std::string(name));
    if (iequals(mailbox, "INBOX")) return true;
    auto box = store_.find_mailbox(store::AccountId(request_.account.account_id), mailbox);
    return box && !box->noselect;
  }
  bool duplicate_seen(std::string_view id) const override {
    return state_.duplicate_tracked(request_.account.account_id, id, now_seconds());
  }
  std::optional<std::time_t> vacation_last_reply(std::string_view sender, std::string_view handle) const override {
    auto at = state_.vacation_sent(request_.account.account_id, to_lower(sender), handle);
    if (!at) return std::nullopt;
    return std::time_t(*at);
  }
  // RFC 6609: :personal scripts are the user's other scripts; kurier has no global scripts yet.
  sieve::IncludedScript include(sieve::IncludeLocation where, std::string_view name) const override {
    if (where != sieve::IncludeLocation::personal) return {nullptr, true, {}};
    auto script = dir_.find_sieve_script(request_.account.account_id, name);
    if (!script) return {nullptr, true, {}};
    std::string error;
    auto program = hook_.compiled(script->content, error);
    return {program, false, error};
  }

 private:
  const delivery::FilingRequest& request_;
  const config::Config& config_;
  store::MailStore& store_;
  delivery::DeliveryState& state_;
  directory::Directory& dir_;
  SieveFilingHook& hook_;
  sieve::ParsedMessage message_;
};

// A message from the user, queued with the null reverse-path (RFC 3834 3.3: no bounce loops) and
// as the user's own mail, so the queue signs it with the user's domain key.
void send_from_user(delivery::RelayHook& relay, const std::string& account, const std::string& to,
                    const std::string& message) {
  std::vector<delivery::RelayRecipient> recipients{{to, {}}};
  delivery::MessageDsn dsn;
  delivery::MessageOrigin origin{account, ""};
  relay.relay({"", recipients, message, dsn, origin, ""});
}

}  // namespace

SieveFilingHook::SieveFilingHook(const config::Config& config, directory::Directory& dir, store::MailStore& store,
                                 delivery::DeliveryState& state, delivery::RelayHook& relay)
    : config_(config), dir_(dir), store_(store), state_(state), relay_(relay) {}

std::shared_ptr<const sieve::Program> SieveFilingHook::compiled(const std::string& script, std::string& error) {
  {
    std::lock_guard lock(cache_mutex_);
    auto found = cache_.find(script);
    if (found != cache_.end()) {
      cache_lru_.splice(cache_lru_.begin(), cache_lru_, found->second.lru);
      return found->second.program;
    }
  }
  auto result = sieve::compile(script, sieve_extensions(), sieve_runtime_limits(config_));
  if (!result.ok()) {
    error = result.errors.empty() ? "does not compile" : result.errors.front().to_string();
    return nullptr;
  }
  std::lock_guard lock(cache_mutex_);
  if (cache_.count(script)) return cache_[script].program;
  if (cache_.size() >= kCachedPrograms) {
    cache_.erase(cache_lru_.back());
    cache_lru_.pop_back();
  }
  cache_lru_.push_front(script);
  cache_[script] = {result.program, cache_lru_.begin()};
  return result.program;
}

delivery::FilingDecision SieveFilingHook::decide(const delivery::FilingRequest& request) {
  const auto& account = request.account;
  auto script = dir_.active_sieve_script(account.account_id);  // throws: a temporary failure
  if (!script) return {};
  std::string error;
  auto program = compiled(script->content, error);
  if (!program) {
    log::warn("sieve.compile_failed", {{"account", account.address}, {"script", script->name}, {"error", error}});
    return {};  // implicit keep
  }
  DeliveryEnvironment env(request, config_, store_, state_, dir_, *this);
  sieve::Result result = sieve::execute(*program, env);
  if (!result.ok())
    log::warn("sieve.runtime_error", {{"account", account.address}, {"script", script->name}, {"error", *result.error}});

  delivery::FilingDecision d;
  const std::string from_user = account.address;
  const std::string hostname = config_.hostname;
  int64_t account_id = account.account_id;
  for (const auto& action : result.actions) {
    if (auto* keep = std::get_if<sieve::Keep>(&action)) {
      d.file_into.push_back({"INBOX", store_flags(keep->flags), false, keep->header});
    } else if (auto* into = std::get_if<sieve::FileInto>(&action)) {
      d.file_into.push_back({store_mailbox_name(into->mailbox), store_flags(into->flags), into->create, into->header});
    } else if (auto* redirect = std::get_if<sieve::Redirect>(&action)) {
      d.redirect.push_back({redirect->address, redirect->header});
    } else if (std::holds_alternative<sieve::Discard>(action)) {
      d.discard = true;
    } else if (auto* reject = std::get_if<sieve::Reject>(&action)) {
      d.reject = reject->reason;
    } else if (auto* vacation = std::get_if<sieve::Vacation>(&action)) {
      if (!vacation->send) {
        log::info("sieve.vacation_skipped", {{"account", from_user}, {"reason", vacation->why_not}});
        continue;
      }
      std::string reply = sieve::compose_vacation_reply(*vacation, {from_user, date_now(), new_message_id(hostname)});
      std::string to = vacation->to, handle = vacation->handle;
      auto& relay = relay_;
      auto& state = state_;
      d.after_delivery.push_back([&relay, &state, account_id, from_user, to, handle, reply] {
        send_from_user(relay, from_user, to, reply);
        state.record_vacation(account_id, to_lower(to), handle, now_seconds());
        log::info("sieve.vacation_sent", {{"account", from_user}, {"to", to}});
      });
    } else if (auto* notify = std::get_if<sieve::Notify>(&action)) {
      std::string to = mailto_address(notify->method);
      std::string message = notify_message(*notify, to, notify->from.empty() ? from_user : notify->from, hostname);
      auto& relay = relay_;
      d.after_delivery.push_back([&relay, from_user, to, message] { send_from_user(relay, from_user, to, message); });
    }
  }
  // No keep among the actions (redirect, discard, reject cancelled it): nothing goes to INBOX.
  if (d.file_into.empty()) d.discard = true;
  for (const auto& mark : result.duplicate_marks) {
    auto& state = state_;
    std::string id = mark.id;
    int64_t expires = now_seconds() + int64_t(mark.period_seconds);
    d.after_delivery.push_back([&state, account_id, id, expires] { state.track_duplicate(account_id, id, expires); });
  }
  return d;
}

}  // namespace kurier::server
