// Tests for imap_protocol/mailbox_list.h: LIST/LSUB answers, LSUB's \Noselect parents (RFC 3501
// 6.3.9), CHILDINFO exactly as RFC 5258 Example 9 shows it, and a big hierarchy staying fast.
#include "imap_protocol/mailbox_list.h"

#include <gtest/gtest.h>

#include "common/strings.h"

namespace kurier::imap {
namespace {

std::vector<store::MailboxInfo> boxes(std::initializer_list<const char*> names) {
  std::vector<store::MailboxInfo> out;
  store::MailboxId id = 1;
  for (const char* n : names) {
    store::MailboxInfo info;
    info.id = id++;
    info.name = n;
    out.push_back(info);
  }
  return out;
}

// "name (attrs) [CHILDINFO]" per line, as compact as the RFC examples.
std::vector<std::string> lines(const std::vector<ListedMailbox>& listed) {
  std::vector<std::string> out;
  for (const auto& m : listed)
    out.push_back(m.name + " (" + join(m.attributes, " ") + ")" + (m.childinfo ? " CHILDINFO" : ""));
  return out;
}

using Lines = std::vector<std::string>;

TEST(MailboxList, PlainListWithChildren) {
  auto all = boxes({"INBOX", "Work", "Work/Alpha", "Work!x", "Zeta"});
  all[1].noselect = true;
  all[4].special_use = "\\Archive";
  ListRequest req;
  req.patterns = {"%"};
  EXPECT_EQ(lines(list_mailboxes(req, all, {"Zeta"})),
            (Lines{"INBOX (\\HasNoChildren)", "Work (\\Noselect \\HasChildren)", "Work!x (\\HasNoChildren)",
                   "Zeta (\\HasNoChildren \\Archive)"}));
  req.patterns = {"Work/*"};
  req.return_subscribed = true;
  EXPECT_EQ(lines(list_mailboxes(req, all, {"Work/Alpha"})), (Lines{"Work/Alpha (\\HasNoChildren \\Subscribed)"}));
  req.patterns = {};  // an undecodable pattern was left out: nothing matches
  EXPECT_TRUE(list_mailboxes(req, all, {}).empty());
}

TEST(MailboxList, LsubReturnsUnsubscribedParentAsNoselect) {
  // RFC 3501 6.3.9: "foo/bar" subscribed, "foo" not: "%" returns foo with \Noselect.
  auto all = boxes({"INBOX", "foo", "foo/bar", "foo/bar/baz", "gone"});
  ListRequest req;
  req.lsub = true;
  req.patterns = {"%"};
  EXPECT_EQ(lines(list_mailboxes(req, all, {"INBOX", "foo/bar", "ghost"})),
            (Lines{"INBOX ()", "foo (\\Noselect)", "ghost (\\Noselect)"}));
  req.patterns = {"foo/%"};
  EXPECT_EQ(lines(list_mailboxes(req, all, {"foo/bar/baz"})), (Lines{"foo/bar (\\Noselect)"}));
  req.patterns = {"*"};
  EXPECT_EQ(lines(list_mailboxes(req, all, {"foo/bar"})), (Lines{"foo/bar ()"}));
}

// RFC 5258 section 5, Example 9: the hierarchy, subscriptions and answer to "*2".
TEST(MailboxList, ChildinfoAsRfc5258Example9) {
  auto all = boxes({"Foo2", "Foo2/Bar1", "Foo2/Bar2", "Baz2", "Baz2/Bar2", "Baz2/Bar22", "Baz2/Bar222", "Eps2",
                    "Eps2/Mailbox1", "Qux2", "Qux2/Bar2"});
  std::vector<std::string> subs = {"Foo2/Bar1", "Foo2/Bar2", "Baz2/Bar2", "Baz2/Bar22", "Baz2/Bar222",
                                   "Eps2", "Eps2/Mailbox1", "Qux2/Bar2"};
  ListRequest req;
  req.select_subscribed = true;
  req.select_recursive_match = true;
  req.patterns = {"*2"};
  EXPECT_EQ(lines(list_mailboxes(req, all, subs)),
            (Lines{"Baz2/Bar2 (\\HasNoChildren \\Subscribed)", "Baz2/Bar22 (\\HasNoChildren \\Subscribed)",
                   "Baz2/Bar222 (\\HasNoChildren \\Subscribed)", "Eps2 (\\HasChildren \\Subscribed) CHILDINFO",
                   "Foo2 (\\HasChildren) CHILDINFO", "Foo2/Bar2 (\\HasNoChildren \\Subscribed)",
                   "Qux2/Bar2 (\\HasNoChildren \\Subscribed)"}));
  // "%" stops at the top level: every parent of a subscription is reported through CHILDINFO.
  req.patterns = {"%"};
  EXPECT_EQ(lines(list_mailboxes(req, all, subs)),
            (Lines{"Baz2 (\\HasChildren) CHILDINFO", "Eps2 (\\HasChildren \\Subscribed) CHILDINFO",
                   "Foo2 (\\HasChildren) CHILDINFO", "Qux2 (\\HasChildren) CHILDINFO"}));
  // Without RECURSIVEMATCH, no CHILDINFO and no parents.
  req.select_recursive_match = false;
  EXPECT_EQ(lines(list_mailboxes(req, all, subs)), (Lines{"Eps2 (\\HasChildren \\Subscribed)"}));
  // A subscription without a mailbox under a missing parent: \NonExistent (RFC 5258 3.4).
  req.select_recursive_match = true;
  EXPECT_EQ(lines(list_mailboxes(req, boxes({"INBOX"}), {"music/rock"})), (Lines{"music (\\NonExistent) CHILDINFO"}));
}

TEST(MailboxList, SelectableOnlyWhenMeetingTheCriteria) {
  auto all = boxes({"A", "A/B", "C"});
  all[2].noselect = true;
  ListRequest req;
  req.select_subscribed = true;
  req.select_recursive_match = true;
  req.patterns = {"%"};
  auto listed = list_mailboxes(req, all, {"A/B", "C"});
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_FALSE(listed[0].selectable);  // "A": listed for CHILDINFO only
  EXPECT_FALSE(listed[1].selectable);  // "C": \Noselect
  req.select_subscribed = false;
  req.select_recursive_match = false;
  listed = list_mailboxes(req, all, {});
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].selectable, store::MailboxId(1));
}

TEST(MailboxList, ManyMailboxesStayFast) {
  // Children were found by scanning every mailbox for every mailbox: 20000^2 steps.
  std::vector<store::MailboxInfo> all;
  std::vector<std::string> subs;
  for (int i = 0; i < 20000; ++i) {
    store::MailboxInfo info;
    info.id = store::MailboxId(i + 1);
    info.name = "box" + std::to_string(i / 10) + (i % 10 ? "/child" + std::to_string(i % 10) : "");
    if (i % 10 == 3) subs.push_back(info.name);
    all.push_back(info);
  }
  ListRequest req;
  req.patterns = {"*"};
  EXPECT_EQ(list_mailboxes(req, all, subs).size(), 20000u);
  req.patterns = {"%"};
  req.select_subscribed = true;
  req.select_recursive_match = true;
  auto listed = list_mailboxes(req, all, subs);
  EXPECT_EQ(listed.size(), 2000u);
  EXPECT_TRUE(listed.front().childinfo);
}

}  // namespace
}  // namespace kurier::imap
