// Tests for mime/transfer_encoding.h: the lenient body decoders of RFC 2045 6.7/6.8.
#include "mime/transfer_encoding.h"

#include <gtest/gtest.h>

using namespace kurier::mime;

TEST(TransferEncoding, Base64IgnoresLineBreaks) {
  EXPECT_EQ(decode_base64_lenient("aGVs\r\nbG8g\nd29y bGQ="), "hello world");
  EXPECT_EQ(decode_base64_lenient("AAECAwQFBgcICQ=="), std::string("\0\1\2\3\4\5\6\7\10\11", 10));
  EXPECT_EQ(decode_base64_lenient(""), "");
}

TEST(TransferEncoding, QuotedPrintable) {
  EXPECT_EQ(decode_quoted_printable("Sch=C3=B6ne Gr=C3=BC=C3=9Fe"), "Schöne Grüße");
  EXPECT_EQ(decode_quoted_printable("soft=\r\nbreak and=  \nmore"), "softbreak andmore");
  EXPECT_EQ(decode_quoted_printable("bad =ZZ escape ="), "bad =ZZ escape ");
  EXPECT_EQ(decode_quoted_printable("=4"), "=4");
}

TEST(TransferEncoding, ByEncodingName) {
  EXPECT_EQ(*decode_transfer_encoding("abc", ""), "abc");
  EXPECT_EQ(*decode_transfer_encoding("abc", "8bit"), "abc");
  EXPECT_EQ(*decode_transfer_encoding("YWJj", "base64"), "abc");
  EXPECT_FALSE(decode_transfer_encoding("abc", "x-uuencode"));
}

TEST(TransferEncoding, Base64StopsAtPaddingAndSkipsStrangers) {
  EXPECT_EQ(decode_base64_lenient("YWJj=ZGVm"), "abc");
  EXPECT_EQ(decode_base64_lenient("Y!W*J\tj"), "abc");
}

TEST(TransferEncoding, QuotedPrintableLowerCaseHexAndSoftBreakAtEnd) {
  EXPECT_EQ(decode_quoted_printable("caf=c3=a9"), "caf\xc3\xa9");
  EXPECT_EQ(decode_quoted_printable("line=  "), "line");
  EXPECT_EQ(decode_quoted_printable("=3D=\r\n=3D"), "==");
}
