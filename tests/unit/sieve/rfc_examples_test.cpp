// The example scripts of the RFCs, run as written.
#include <gtest/gtest.h>

#include "test_env.h"

namespace kurier::sieve {
namespace {

using test::run;
using test::summary;
using test::TestEnv;

// RFC 5228 9.
const char* kRfc5228Example = R"(# Example Sieve Filter
# Declare any optional features or extension used by the script
require ["fileinto"];

# Handle messages from known mailing lists
# Move messages from IETF filter discussion list to filter mailbox
if header :is "Sender" "owner-ietf-mta-filters@imc.org"
        {
        fileinto "filter";  # move to "filter" mailbox
        }
#
# Keep all messages to or from people in my company
#
elsif address :DOMAIN :is ["From", "To"] "example.com"
        {
        keep;               # keep in "In" mailbox
        }

#
# Try and catch unsolicited email.  If a message is not to me,
# or it contains a subject known to be spam, file it away.
#
elsif anyof (NOT address :all :contains
               ["To", "Cc", "Bcc"] "me@example.com",
             header :matches "subject"
               ["*make*money*fast*", "*university*dipl*mas*"])
        {
        fileinto "spam";   # move to "spam" mailbox
        }
else
        {
        # Move all other (non-company) mail to "personal"
        # mailbox.
        fileinto "personal";
        }
)";

TEST(SieveRfcExamples, Rfc5228Section9) {
  auto msg = [](std::string header) { return TestEnv(header + "\r\nbody\r\n"); };
  EXPECT_EQ(summary(run(kRfc5228Example, msg("Sender: owner-ietf-mta-filters@imc.org\r\nTo: me@example.com\r\n"))),
            "fileinto:filter");
  EXPECT_EQ(summary(run(kRfc5228Example, msg("From: boss@example.com\r\nTo: me@example.org\r\n"))), "keep");
  EXPECT_EQ(summary(run(kRfc5228Example, msg("From: x@example.net\r\nTo: you@example.net\r\n"))), "fileinto:spam");
  EXPECT_EQ(summary(run(kRfc5228Example, msg("From: x@example.net\r\nTo: y@example.net\r\n"
                                             "Cc: me@example.com\r\nSubject: MAKE big MONEY really FAST\r\n"))),
            "fileinto:spam");
  EXPECT_EQ(summary(run(kRfc5228Example, msg("From: x@example.net\r\nCc: me@example.com\r\nSubject: hi\r\n"))),
            "fileinto:personal");
}

// RFC 5229 3 and 4.1.
TEST(SieveRfcExamples, Rfc5229Variables) {
  Result r = run(R"(require ["variables", "vacation"];
set "honorific"  "Mr";
set "first_name" "Joe";
set "last_name"  "Doe";
set "vacation" text:
Dear ${HONORIFIC} ${last_name},
I'm out, please leave a message after the meep.
.
;
vacation "${vacation}";
)");
  ASSERT_TRUE(r.ok()) << *r.error;
  EXPECT_EQ(std::get<Vacation>(r.actions[0]).reason,
            "Dear Mr Doe,\r\nI'm out, please leave a message after the meep.\r\n");

  const char* modifiers = R"(require ["variables", "fileinto"];
set "a" "juMBlEd lETteRS";
set :length "b" "${a}";  fileinto "${b}";
set :lower "b" "${a}";  fileinto "${b}";
set :upperfirst "b" "${a}";  fileinto "${b}";
set :upperfirst :lower "b" "${a}";  fileinto "${b}";
set :quotewildcard "b" "Rock*";  fileinto "${b}";
)";
  r = run(modifiers);
  ASSERT_TRUE(r.ok()) << *r.error;
  std::vector<std::string> boxes;
  for (const Action& a : r.actions) boxes.push_back(std::get<FileInto>(a).mailbox);
  EXPECT_EQ(boxes, (std::vector<std::string>{"15", "jumbled letters", "JuMBlEd lETteRS", "Jumbled letters", "Rock\\*"}));
}

// RFC 5229 3.2: "${1}" etc. from :matches, with the RFC's example.
TEST(SieveRfcExamples, Rfc5229MatchVariables) {
  TestEnv env("From: Jane <jane@example.com>\r\nList-ID: coyote-users <coyote-users.example.org>\r\n"
              "Subject: [coyote-users] ACME rocket sled\r\n\r\n");
  Result r = run(R"(require ["fileinto", "variables"];
if header :matches "List-ID" "*<*@*" {
    fileinto "INBOX.lists.${2}"; stop;
}
# Imagine the header
# Subject: [acme-users] [fwd] version 1.0 is out
if header :matches "Subject" "[*] *" {
    # ${1} will hold "acme-users",
    # ${2} will hold "[fwd] version 1.0 is out"
    fileinto "INBOX.lists.${1}"; stop;
}
)", env);
  EXPECT_EQ(summary(r), "fileinto:INBOX.lists.coyote-users");
}

// RFC 5232 6 (adapted: the mailbox names of the example).
TEST(SieveRfcExamples, Rfc5232Flags) {
  TestEnv env("From: boss@frobnitzm.example.edu\r\nSubject: urgent\r\nX-Spam-Score: 21\r\n\r\n");
  Result r = run(R"(require ["imap4flags", "fileinto", "relational", "comparator-i;ascii-numeric"];
if header :comparator "i;ascii-numeric" :value "ge" "X-Spam-Score" "20" {
    setflag "\\Deleted";
}
if address :is "From" "boss@frobnitzm.example.edu" {
    addflag "\\Flagged";
    fileinto "INBOX.From Boss";
}
)", env);
  ASSERT_TRUE(r.ok()) << *r.error;
  ASSERT_EQ(summary(r), "fileinto:INBOX.From Boss");
  EXPECT_EQ(std::get<FileInto>(r.actions[0]).flags, (std::vector<std::string>{"\\Deleted", "\\Flagged"}));
}

// RFC 5230 4.8 example: :days and :addresses.
TEST(SieveRfcExamples, Rfc5230Vacation) {
  TestEnv env("From: friend@example.org\r\nTo: me@example.edu\r\nSubject: lunch?\r\n\r\n");
  env.addresses = {};
  env.env.to = "me@example.com";
  Result r = run(R"(require "vacation";
if header :contains "subject" "lunch" {
    vacation :handle "ran-away" "I'm out and can't meet for lunch";
} else {
    vacation :days 23 :addresses ["tjs@example.edu",
                                  "ts4z@landru.example.edu"]
    "I'm out -- send mail to cyrus-bugs";
}
)", env);
  Vacation v = std::get<Vacation>(r.actions[0]);
  EXPECT_EQ(v.handle, "ran-away");
  EXPECT_FALSE(v.send);  // me@example.edu is not one of the user's addresses here
  env.addresses = {"me@example.edu"};
  EXPECT_TRUE(std::get<Vacation>(run(R"(require "vacation"; vacation :days 23 "x";)", env).actions[0]).send);
}

}  // namespace
}  // namespace kurier::sieve
