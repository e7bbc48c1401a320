// Helpers for the IMAP parser tests: parse wire text ("a LOGIN {3}\r\nbob x") and
// expect success or a BAD.
#pragma once
#include <gtest/gtest.h>

#include "imap_protocol/parser.h"

namespace kurier::imap::testing {

inline ParseResult parse_wire(std::string_view wire) {
  auto raw = raw_command_from_wire(wire);
  EXPECT_TRUE(raw) << "test input is not well-formed wire text: " << wire;
  if (!raw) return {};
  return parse_command(*raw);
}

inline Command ok(std::string_view wire) {
  auto r = parse_wire(wire);
  EXPECT_TRUE(r.ok()) << wire << " -> " << (r.error ? r.error->message : "?");
  return r.command ? *r.command : Command{};
}

inline ParseError bad(std::string_view wire) {
  auto r = parse_wire(wire);
  EXPECT_FALSE(r.ok()) << wire << " was accepted";
  EXPECT_TRUE(r.error.has_value());
  if (r.error) {
    EXPECT_FALSE(r.error->message.empty());
    EXPECT_EQ(r.error->message.find_first_of("\r\n"), std::string::npos);
  }
  return r.error ? *r.error : ParseError{};
}

}  // namespace kurier::imap::testing
