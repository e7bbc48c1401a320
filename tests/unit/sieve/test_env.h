// A test Environment for the Sieve interpreter: a message given as text, an envelope, and
// in-memory stores for mailboxes, duplicates, vacation replies and included scripts.
#pragma once
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "sieve/sieve.h"

namespace kurier::sieve::test {

inline const char* kDefaultMessage =
    "Return-Path: <alice@example.org>\r\n"
    "Received: from mx.example.org by mail.example.com; Mon, 7 Dec 2026 10:00:00 +0000\r\n"
    "Date: Tue, 1 Dec 2026 09:30:15 -0800\r\n"
    "From: Alice Example <alice@example.org>\r\n"
    "To: Bob <bob+lists@example.com>, carol@example.net\r\n"
    "Cc: dave@example.com\r\n"
    "Subject: [acme-users] [fwd] version 1.0 is out\r\n"
    "Message-ID: <1234@example.org>\r\n"
    "X-Spam-Score: 7\r\n"
    "\r\n"
    "Hello Bob,\r\n"
    "the new version is out.\r\n";

class TestEnv : public Environment {
 public:
  explicit TestEnv(std::string msg = kDefaultMessage) : text(std::move(msg)), parsed(text) {}
  const Message& message() const override { return parsed; }
  Envelope envelope() const override { return env; }
  std::vector<std::string> user_addresses() const override { return addresses; }
  std::time_t now() const override { return clock; }
  int local_zone_minutes() const override { return zone; }
  bool mailbox_exists(std::string_view m) const override { return mailboxes.count(std::string(m)) != 0; }
  bool duplicate_seen(std::string_view id) const override { return seen.count(std::string(id)) != 0; }
  std::optional<std::time_t> vacation_last_reply(std::string_view sender, std::string_view handle) const override {
    auto it = replies.find(std::string(sender) + "|" + std::string(handle));
    if (it == replies.end()) return std::nullopt;
    return it->second;
  }
  IncludedScript include(IncludeLocation loc, std::string_view name) const override {
    auto& scripts = loc == IncludeLocation::global ? global_scripts : personal_scripts;
    auto it = scripts.find(std::string(name));
    if (it == scripts.end()) return IncludedScript{nullptr, true, {}};
    CompileResult r = compile(it->second, ExtensionSet::all());
    if (!r.ok()) return IncludedScript{nullptr, false, r.errors[0].to_string()};
    return IncludedScript{r.program, false, {}};
  }

  std::string text;
  ParsedMessage parsed;
  Envelope env{"alice@example.org", "bob@example.com", ""};
  std::vector<std::string> addresses{"bob@example.com", "bob+lists@example.com"};
  std::time_t clock = 1796637600;  // 2026-12-07 10:00:00 UTC (a Monday)
  int zone = 0;
  std::set<std::string> mailboxes{"INBOX", "Archive"};
  std::set<std::string> seen;
  std::map<std::string, std::time_t> replies;
  std::map<std::string, std::string> personal_scripts, global_scripts;
};

// Compiles with every extension; fails the test on a compile error.
inline std::shared_ptr<const Program> compiled(std::string_view script, const Limits& limits = {}) {
  CompileResult r = compile(script, ExtensionSet::all(), limits);
  if (!r.ok()) {
    ADD_FAILURE() << "compile failed: " << r.errors[0].to_string() << "\n" << script;
    return nullptr;
  }
  return r.program;
}

// The first compile error, or "" when the script compiles.
inline std::string compile_error(std::string_view script, const ExtensionSet& ext = ExtensionSet::all()) {
  CompileResult r = compile(script, ext);
  return r.ok() ? "" : r.errors[0].to_string();
}

inline Result run(std::string_view script, const TestEnv& env = TestEnv(), const Limits& limits = {}) {
  auto program = compiled(script, limits);
  if (!program) return Result{{}, "compile failed", {}, {}, {}};
  return execute(*program, env);
}

// A one-line summary of the actions: "keep", "fileinto:Junk", "redirect:a@b", "discard",
// "reject:reason", "vacation:send"/"vacation:skip", "notify:mailto:...", joined by " ".
inline std::string summary(const Result& r) {
  if (!r.ok()) return "error: " + *r.error;
  std::string out;
  for (const Action& a : r.actions) {
    if (!out.empty()) out += ' ';
    if (auto* k = std::get_if<Keep>(&a)) out += k->implicit ? "implicit-keep" : "keep";
    else if (auto* f = std::get_if<FileInto>(&a)) out += "fileinto:" + f->mailbox + (f->copy ? "(copy)" : "");
    else if (auto* d = std::get_if<Redirect>(&a)) out += "redirect:" + d->address + (d->copy ? "(copy)" : "");
    else if (std::holds_alternative<Discard>(a)) out += "discard";
    else if (auto* j = std::get_if<Reject>(&a)) out += (j->extended ? "ereject:" : "reject:") + j->reason;
    else if (auto* v = std::get_if<Vacation>(&a)) out += v->send ? "vacation:send" : "vacation:skip";
    else if (auto* n = std::get_if<Notify>(&a)) out += "notify:" + n->method;
  }
  return out;
}

// Whether the script's test `cond` is true for the message: runs `if cond { stop; } discard;`.
inline bool holds(std::string_view requires_and_test, const TestEnv& env = TestEnv()) {
  std::string script(requires_and_test);
  size_t split_at = script.rfind(";\n");
  std::string head = split_at == std::string::npos ? "" : script.substr(0, split_at + 2);
  std::string cond = split_at == std::string::npos ? script : script.substr(split_at + 2);
  Result r = run(head + "if " + cond + " { stop; }\ndiscard;\n", env);
  EXPECT_TRUE(r.ok()) << *r.error;
  return summary(r) == "implicit-keep";
}

}  // namespace kurier::sieve::test
