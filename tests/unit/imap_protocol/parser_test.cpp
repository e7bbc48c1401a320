#include "imap_protocol/parser.h"

#include <gtest/gtest.h>

#include "parser_test_util.h"

namespace kurier::imap {
namespace {

using testing::bad;
using testing::ok;

TEST(Parser, SimpleCommands) {
  struct Case { const char* wire; CommandKind kind; };
  for (auto c : {Case{"a1 CAPABILITY", CommandKind::capability}, Case{"a NOOP", CommandKind::noop},
                 Case{"a logout", CommandKind::logout}, Case{"a StartTLS", CommandKind::starttls},
                 Case{"a NAMESPACE", CommandKind::namespace_}, Case{"a IDLE", CommandKind::idle},
                 Case{"a CHECK", CommandKind::check}, Case{"a CLOSE", CommandKind::close},
                 Case{"a UNSELECT", CommandKind::unselect}, Case{"a EXPUNGE", CommandKind::expunge}}) {
    auto cmd = ok(c.wire);
    EXPECT_EQ(cmd.kind, c.kind) << c.wire;
    EXPECT_FALSE(cmd.uid);
  }
  EXPECT_EQ(ok("a1 NOOP").tag, "a1");
  EXPECT_FALSE(ok("a EXPUNGE").as<ExpungeArgs>().uids);
}

TEST(Parser, SimpleCommandsRejectArguments) {
  EXPECT_EQ(bad("a NOOP x").tag, "a");
  bad("a CAPABILITY ");
  bad("a LOGOUT\t");
}

TEST(Parser, TagErrors) {
  auto e = bad("");
  EXPECT_FALSE(e.tag);
  EXPECT_FALSE(bad("+ NOOP").tag);
  EXPECT_FALSE(bad(" NOOP").tag);
  EXPECT_FALSE(bad("(a NOOP").tag);
  EXPECT_EQ(bad("a").tag, "a");  // tag read, command missing
  EXPECT_EQ(bad("a FOO").tag, "a");
  EXPECT_EQ(bad("a1]x NOOPX").tag, "a1]x");
  EXPECT_EQ(ok("tag.1]x NOOP").tag, "tag.1]x");
}

TEST(Parser, ReadTag) {
  EXPECT_EQ(read_tag("a1 APPEND x {99999999999}"), "a1");
  EXPECT_EQ(read_tag("a1"), std::nullopt);
  EXPECT_EQ(read_tag("+ x"), std::nullopt);
  EXPECT_EQ(read_tag(" a"), std::nullopt);
  EXPECT_EQ(read_tag("a{ x"), std::nullopt);
}

TEST(Parser, CommandNames) {
  EXPECT_EQ(command_name(CommandKind::delete_), "DELETE");
  EXPECT_EQ(command_kind_from_name("uid"), std::nullopt);
  EXPECT_EQ(command_kind_from_name("getQuotaRoot"), CommandKind::getquotaroot);
  for (int k = 0; k <= int(CommandKind::move); ++k)
    EXPECT_EQ(command_kind_from_name(command_name(CommandKind(k))), CommandKind(k));
}

TEST(Parser, Authenticate) {
  auto a = ok("a AUTHENTICATE plain").as<AuthenticateArgs>();
  EXPECT_EQ(a.mechanism, "PLAIN");
  EXPECT_FALSE(a.initial_response);
  a = ok("a AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=").as<AuthenticateArgs>();
  EXPECT_EQ(a.initial_response, "AGJvYgBzZWNyZXQ=");
  a = ok("a AUTHENTICATE EXTERNAL =").as<AuthenticateArgs>();
  ASSERT_TRUE(a.initial_response);
  EXPECT_EQ(*a.initial_response, "");
  EXPECT_EQ(ok("a AUTHENTICATE SCRAM-SHA-256").as<AuthenticateArgs>().mechanism, "SCRAM-SHA-256");
  bad("a AUTHENTICATE");
  bad("a AUTHENTICATE PLAIN abc");     // not a multiple of 4
  bad("a AUTHENTICATE PLAIN ab=c");    // padding in the middle
  bad("a AUTHENTICATE PLAIN a===");
  bad("a AUTHENTICATE PLAIN AGJv x");
}

TEST(Parser, Login) {
  auto a = ok("a LOGIN bob \"p a\\\"ss\"").as<LoginArgs>();
  EXPECT_EQ(a.user, "bob");
  EXPECT_EQ(a.password, "p a\"ss");
  a = ok("a LOGIN {3}\r\nbob {6+}\r\nse cr\"").as<LoginArgs>();
  EXPECT_EQ(a.user, "bob");
  EXPECT_EQ(a.password, "se cr\"");
  a = ok("a LOGIN \"\" {0}\r\n").as<LoginArgs>();
  EXPECT_EQ(a.user, "");
  EXPECT_EQ(a.password, "");
  bad("a LOGIN bob");
  bad("a LOGIN bob  pass");
  bad("a LOGIN bob pass extra");
  bad("a LOGIN \"bob pass");
  bad("a LOGIN \"b\\ob\" pass");  // only \" and \\ may be escaped
  bad("a LOGIN bob (pass)");
}

TEST(Parser, LiteralMismatchIsBad) {
  RawCommand raw;
  raw.lines = {"a LOGIN {3}", " pass"};
  raw.literals = {Literal{"bo", "", 2, false}};
  auto r = parse_command(raw);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error->tag, "a");
  raw.literals = {Literal{"bob", "", 3, false}};
  EXPECT_TRUE(parse_command(raw));
  raw.literals.clear();  // announcement without data
  EXPECT_FALSE(parse_command(raw));
  raw.lines = {"a LOGIN {3} x", " pass"};
  raw.literals = {Literal{"bob", "", 3, false}};
  EXPECT_FALSE(parse_command(raw));
}

TEST(Parser, LiteralWithNulOrBinaryIsBadOutsideAppend) {
  RawCommand raw;
  raw.lines = {"a LOGIN {3}", " pass"};
  raw.literals = {Literal{std::string("b\0b", 3), "", 3, false}};
  EXPECT_FALSE(parse_command(raw));
  raw.lines = {"a LOGIN ~{3}", " pass"};
  raw.literals = {Literal{"bob", "", 3, true}};
  EXPECT_FALSE(parse_command(raw));
}

TEST(Parser, SpooledOrHugeLiteralIsBadOutsideAppend) {
  RawCommand raw;
  raw.lines = {"a LOGIN {3}", " pass"};
  raw.literals = {Literal{"", "/tmp/spool", 3, false}};
  EXPECT_FALSE(parse_command(raw));
  ParseLimits limits;
  limits.max_inline_literal = 2;
  raw.literals = {Literal{"bob", "", 3, false}};
  EXPECT_FALSE(parse_command(raw, limits));
}

TEST(Parser, Enable) {
  auto a = ok("a ENABLE condstore QRESYNC UTF8=ACCEPT").as<EnableArgs>();
  EXPECT_EQ(a.capabilities, (std::vector<std::string>{"CONDSTORE", "QRESYNC", "UTF8=ACCEPT"}));
  bad("a ENABLE");
  bad("a ENABLE (x)");
}

TEST(Parser, SelectAndExamine) {
  auto cmd = ok("a select inbox");
  EXPECT_EQ(cmd.kind, CommandKind::select);
  EXPECT_EQ(cmd.as<SelectArgs>().mailbox, "INBOX");
  cmd = ok("a EXAMINE \"Sent Items\" (CONDSTORE)");
  EXPECT_EQ(cmd.kind, CommandKind::examine);
  EXPECT_EQ(cmd.as<SelectArgs>().mailbox, "Sent Items");
  EXPECT_TRUE(cmd.as<SelectArgs>().condstore);
  EXPECT_EQ(ok("a SELECT {5}\r\ninBox").as<SelectArgs>().mailbox, "INBOX");
  EXPECT_EQ(ok("a SELECT INBOX.sub").as<SelectArgs>().mailbox, "INBOX.sub");
  EXPECT_EQ(ok("a SELECT inbox.sub").as<SelectArgs>().mailbox, "inbox.sub");
  bad("a SELECT");
  bad("a SELECT INBOX (FOO)");
  bad("a SELECT INBOX (CONDSTORE");
  bad("a SELECT a b");
}

TEST(Parser, SelectQresync) {
  auto q = ok("a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))")
               .as<SelectArgs>().qresync;
  ASSERT_TRUE(q);
  EXPECT_EQ(q->uidvalidity, 67890007u);
  EXPECT_EQ(q->modseq, 20050715194045000u);
  ASSERT_TRUE(q->known_uids);
  EXPECT_EQ(format_sequence_set(*q->known_uids), "41,43:211,214:541");
  EXPECT_FALSE(q->seq_match_seqs);

  q = ok("a SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000 15000,22500,27000)))")
          .as<SelectArgs>().qresync;
  ASSERT_TRUE(q && q->seq_match_seqs && q->seq_match_uids);
  EXPECT_EQ(format_sequence_set(*q->seq_match_uids), "15000,22500,27000");

  q = ok("a SELECT INBOX (QRESYNC (1 2 (1 3)))").as<SelectArgs>().qresync;
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->known_uids);
  EXPECT_TRUE(q->seq_match_seqs);

  auto both = ok("a SELECT INBOX (CONDSTORE QRESYNC (1 2))").as<SelectArgs>();
  EXPECT_TRUE(both.condstore);
  EXPECT_TRUE(both.qresync);

  bad("a SELECT INBOX (QRESYNC (0 2))");          // uidvalidity is nz-number
  bad("a SELECT INBOX (QRESYNC (1 0))");          // mod-sequence-value is positive
  bad("a SELECT INBOX (QRESYNC (1))");
  bad("a SELECT INBOX (QRESYNC (1 2 1:*))");      // "*" not allowed in known UIDs
  bad("a SELECT INBOX (QRESYNC (1 2 1:5 (1)))");
  bad("a SELECT INBOX (QRESYNC (1 2(1 3)))");
  bad("a SELECT INBOX (QRESYNC (1 9223372036854775808))");
  bad("a SELECT INBOX (QRESYNC (1 2) QRESYNC (1 2))");
  bad("a SELECT INBOX (QRESYNC (4294967296 2))");
}

TEST(Parser, Create) {
  auto a = ok("a CREATE foo/bar").as<CreateArgs>();
  EXPECT_EQ(a.mailbox, "foo/bar");
  EXPECT_TRUE(a.special_use.empty());
  a = ok("a CREATE MySpecial (USE (\\Drafts \\Sent))").as<CreateArgs>();
  EXPECT_EQ(a.special_use, (std::vector<std::string>{"\\Drafts", "\\Sent"}));
  EXPECT_TRUE(ok("a CREATE x (USE ())").as<CreateArgs>().special_use.empty());
  bad("a CREATE");
  bad("a CREATE x (FOO (\\Drafts))");
  bad("a CREATE x (USE (Drafts))");
  bad("a CREATE x (USE \\Drafts)");
  bad("a CREATE x y");
}

TEST(Parser, DeleteRenameSubscribe) {
  EXPECT_EQ(ok("a DELETE foo").as<MailboxArgs>().mailbox, "foo");
  EXPECT_EQ(ok("a SUBSCRIBE \"a b\"").as<MailboxArgs>().mailbox, "a b");
  EXPECT_EQ(ok("a UNSUBSCRIBE Inbox").as<MailboxArgs>().mailbox, "INBOX");
  auto r = ok("a RENAME old {3}\r\nnew").as<RenameArgs>();
  EXPECT_EQ(r.from, "old");
  EXPECT_EQ(r.to, "new");
  bad("a DELETE");
  bad("a RENAME a");
  bad("a DELETE a*");
  bad("a DELETE a%");
}

TEST(Parser, ListBasic) {
  auto a = ok("a LIST \"\" *").as<ListArgs>();
  EXPECT_EQ(a.reference, "");
  EXPECT_EQ(a.patterns, (std::vector<std::string>{"*"}));
  EXPECT_FALSE(a.extended);
  a = ok("a LIST ~/Mail/ %/a]b*").as<ListArgs>();
  EXPECT_EQ(a.reference, "~/Mail/");
  EXPECT_EQ(a.patterns[0], "%/a]b*");
  EXPECT_EQ(ok("a LIST inbox \"\"").as<ListArgs>().reference, "inbox");
  auto l = ok("a LSUB \"#news.\" \"comp.mail.*\"");
  EXPECT_EQ(l.kind, CommandKind::lsub);
  EXPECT_EQ(l.as<ListArgs>().patterns[0], "comp.mail.*");
  bad("a LIST");
  bad("a LIST \"\"");
  bad("a LIST * *");  // reference is an astring, no wildcards
  bad("a LSUB \"\" (a b)");
}

TEST(Parser, ListExtended) {
  auto a = ok("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX \"Sent*\" %) "
              "RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN) SUBSCRIBED)").as<ListArgs>();
  EXPECT_TRUE(a.extended);
  EXPECT_TRUE(a.select_subscribed);
  EXPECT_TRUE(a.select_recursive_match);
  EXPECT_EQ(a.patterns, (std::vector<std::string>{"INBOX", "Sent*", "%"}));
  EXPECT_TRUE(a.return_children);
  EXPECT_TRUE(a.return_special_use);
  EXPECT_TRUE(a.return_subscribed);
  ASSERT_TRUE(a.return_status);
  EXPECT_EQ(*a.return_status, (std::vector<StatusItem>{StatusItem::messages, StatusItem::unseen}));
  a = ok("a LIST () \"\" % RETURN ()").as<ListArgs>();
  EXPECT_TRUE(a.extended);
  a = ok("a LIST (SPECIAL-USE REMOTE) \"\" *").as<ListArgs>();
  EXPECT_TRUE(a.select_special_use);
  EXPECT_TRUE(a.select_remote);
  bad("a LIST (RECURSIVEMATCH) \"\" *");
  bad("a LIST (FOO) \"\" *");
  bad("a LIST \"\" * RETURN (FOO)");
  bad("a LIST \"\" * (CHILDREN)");
  bad("a LIST \"\" * RETURN (STATUS ())");
  bad("a LIST \"\" * RETURN (STATUS (MESSAGES) STATUS (UNSEEN))");
  bad("a LIST \"\" () ");
  bad("a LIST \"\" ()");
}

TEST(Parser, Status) {
  auto a = ok("a STATUS blurdybloop (UIDNEXT MESSAGES deleted SIZE RECENT HIGHESTMODSEQ "
              "APPENDLIMIT UIDVALIDITY UNSEEN)").as<StatusArgs>();
  EXPECT_EQ(a.mailbox, "blurdybloop");
  ASSERT_EQ(a.items.size(), 9u);
  EXPECT_EQ(a.items[2], StatusItem::deleted);
  EXPECT_EQ(status_item_name(a.items[6]), "APPENDLIMIT");
  bad("a STATUS x ()");
  bad("a STATUS x (FOO)");
  bad("a STATUS x MESSAGES");
  bad("a STATUS (MESSAGES)");
}

TEST(Parser, Append) {
  auto cmd = ok("a APPEND saved-messages (\\Seen $Label) \" 7-Feb-1994 21:52:25 -0800\" {11}\r\nHello World");
  auto& a = cmd.as<AppendArgs>();
  EXPECT_EQ(a.mailbox, "saved-messages");
  ASSERT_EQ(a.messages.size(), 1u);
  EXPECT_EQ(a.messages[0].flags, (std::vector<std::string>{"\\Seen", "$Label"}));
  ASSERT_TRUE(a.messages[0].internal_date);
  EXPECT_EQ(a.messages[0].internal_date->zone_minutes, -480);
  EXPECT_EQ(a.messages[0].message.data, "Hello World");
  EXPECT_EQ(a.messages[0].message.size, 11u);

  auto plain = ok("a APPEND INBOX {3+}\r\nabc").as<AppendArgs>();
  EXPECT_TRUE(plain.messages[0].flags.empty());
  EXPECT_FALSE(plain.messages[0].internal_date);
  EXPECT_EQ(ok("a APPEND x () {0}\r\n").as<AppendArgs>().messages[0].message.size, 0u);
}

TEST(Parser, MultiAppendAndBinary) {
  RawCommand raw;
  raw.lines = {"a APPEND x (\\Seen) {3}", " {2}", " \"1-Jan-2020 00:00:00 +0000\" ~{3}", ""};
  raw.literals = {Literal{"abc", "", 3, false}, Literal{"de", "", 2, false},
                  Literal{std::string("f\0g", 3), "", 3, true}};
  auto r = parse_command(raw);
  ASSERT_TRUE(r) << r.error->message;
  const auto& m = r.command->as<AppendArgs>().messages;
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].flags.size(), 1u);
  EXPECT_EQ(m[1].message.data, "de");
  EXPECT_TRUE(m[2].message.binary);
  EXPECT_EQ(m[2].message.data, std::string("f\0g", 3));
  EXPECT_TRUE(m[2].internal_date);
}

TEST(Parser, AppendSpooledLiteralIsMovedOrCopied) {
  RawCommand raw;
  raw.lines = {"a APPEND INBOX {100000}", ""};
  raw.literals = {Literal{"", "/var/spool/x", 100000, false}};
  auto copy = parse_command(raw);
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy.command->as<AppendArgs>().messages[0].message.spool_path, "/var/spool/x");
  raw.literals[0] = Literal{"hello", "", 5, false};
  raw.lines[0] = "a APPEND INBOX {5}";
  auto moved = parse_command(std::move(raw));
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved.command->as<AppendArgs>().messages[0].message.data, "hello");
}

TEST(Parser, AppendInvalid) {
  bad("a APPEND x");
  bad("a APPEND x \"abc\"");                                  // a quoted string is not the message
  bad("a APPEND x (\\Seen)");
  bad("a APPEND x \"31-Feb-2020 00:00:00 +0000\" {1}\r\na");  // invalid date
  bad("a APPEND x (\\Seen) (\\Seen) {1}\r\na");
  bad("a APPEND x {1}\r\na junk");
  bad("a APPEND x {1}\r\na  {1}\r\nb");
  bad("a APPEND x {2}\r\nab{1}\r\nb");
}

TEST(Parser, AppendMessageLimit) {
  ParseLimits limits;
  limits.max_append_messages = 2;
  auto raw = raw_command_from_wire("a APPEND x {1}\r\na {1}\r\nb {1}\r\nc");
  ASSERT_TRUE(raw);
  EXPECT_TRUE(parse_command(*raw));
  EXPECT_FALSE(parse_command(*raw, limits));
}

TEST(Parser, UidExpungeCopyMove) {
  auto cmd = ok("a UID EXPUNGE 3000:3002,4000");
  EXPECT_EQ(cmd.kind, CommandKind::expunge);
  EXPECT_TRUE(cmd.uid);
  EXPECT_EQ(format_sequence_set(*cmd.as<ExpungeArgs>().uids), "3000:3002,4000");
  cmd = ok("a COPY 2:4 MEETING");
  EXPECT_EQ(cmd.kind, CommandKind::copy);
  EXPECT_EQ(cmd.as<CopyArgs>().mailbox, "MEETING");
  cmd = ok("a uid move 42:69 \"Archive\"");
  EXPECT_EQ(cmd.kind, CommandKind::move);
  EXPECT_TRUE(cmd.uid);
  EXPECT_EQ(cmd.as<CopyArgs>().set.ranges.size(), 1u);
  EXPECT_TRUE(ok("a MOVE $ Trash").as<CopyArgs>().set.saved_result);
  bad("a UID EXPUNGE");
  bad("a UID NOOP");
  bad("a UID LOGIN a b");
  bad("a UID");
  bad("a COPY 1:2");
  bad("a COPY 0 x");
  bad("a MOVE 1 ");
  ParseLimits no_saved;
  no_saved.allow_saved_result = false;
  EXPECT_FALSE(parse_command(*raw_command_from_wire("a MOVE $ Trash"), no_saved));
}

TEST(Parser, Quota) {
  EXPECT_EQ(ok("a GETQUOTA \"\"").as<GetQuotaArgs>().root, "");
  EXPECT_EQ(ok("a GETQUOTAROOT inbox").as<MailboxArgs>().mailbox, "INBOX");
  auto s = ok("a SETQUOTA \"\" (storage 512 MESSAGE 1000)").as<SetQuotaArgs>();
  ASSERT_EQ(s.limits.size(), 2u);
  EXPECT_EQ(s.limits[0].first, "STORAGE");
  EXPECT_EQ(s.limits[0].second, 512u);
  EXPECT_TRUE(ok("a SETQUOTA x ()").as<SetQuotaArgs>().limits.empty());
  bad("a SETQUOTA x (STORAGE)");
  bad("a SETQUOTA x (STORAGE -1)");
  bad("a SETQUOTA x (STORAGE 99999999999999999999)");
  bad("a GETQUOTA");
}

TEST(Parser, Id) {
  EXPECT_TRUE(ok("a ID NIL").as<IdArgs>().nil);
  auto a = ok("a ID (\"name\" \"sodr\" \"version\" \"19.34\" \"os\" NIL)").as<IdArgs>();
  ASSERT_EQ(a.fields.size(), 3u);
  EXPECT_EQ(a.fields[1].first, "version");
  EXPECT_EQ(a.fields[1].second, "19.34");
  EXPECT_FALSE(a.fields[2].second);
  EXPECT_TRUE(ok("a ID ()").as<IdArgs>().fields.empty());
  bad("a ID");
  bad("a ID (name \"x\")");  // field must be a string
  bad("a ID (\"name\")");
  bad("a ID (\"" + std::string(31, 'f') + "\" NIL)");
  bad("a ID (\"f\" \"" + std::string(1025, 'v') + "\")");
  std::string many = "a ID (";
  for (int i = 0; i < 31; ++i) many += i ? " \"k\" NIL" : "\"k\" NIL";
  bad(many + ")");
}

TEST(Parser, Compress) {
  EXPECT_EQ(ok("a COMPRESS deflate").as<CompressArgs>().algorithm, "DEFLATE");
  bad("a COMPRESS");
  bad("a COMPRESS DEFLATE x");
}

TEST(Parser, NormalizeInbox) {
  EXPECT_EQ(normalize_inbox("iNbOx"), "INBOX");
  EXPECT_EQ(normalize_inbox("inboxes"), "inboxes");
  EXPECT_EQ(normalize_inbox("inbox/child"), "inbox/child");
  EXPECT_EQ(normalize_inbox("inbox/child", '/'), "INBOX/child");
  EXPECT_EQ(normalize_inbox("inbox.child", '/'), "inbox.child");
}

}  // namespace
}  // namespace kurier::imap
