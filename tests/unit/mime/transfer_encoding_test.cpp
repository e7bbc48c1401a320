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

TEST(TransferEncoding, QuotedPrintableDeletesTrailingBlanksOfALine) {
  // RFC 2045 6.7 (3): blanks before a line break were added in transport.
  EXPECT_EQ(decode_quoted_printable("one  \r\ntwo\t \nthree  "), "one\r\ntwo\nthree  ");
  EXPECT_EQ(decode_quoted_printable("a=20\r\n"), "a \r\n");  // an encoded blank stays
  EXPECT_EQ(decode_quoted_printable("x = y=\rz"), "x = yz");  // malformed "= ", CR-only soft break
}

// Every way of cutting the input into two pieces decodes like the whole.
void expect_any_cut_decodes_alike(std::string_view encoding, std::string_view in) {
  std::string whole = *decode_transfer_encoding(in, encoding);
  for (size_t cut = 0; cut <= in.size(); ++cut) {
    auto d = TransferDecoder::for_encoding(encoding);
    ASSERT_TRUE(d);
    std::string out;
    d->feed(in.substr(0, cut), out);
    d->feed(in.substr(cut), out);
    d->finish(out);
    EXPECT_EQ(out, whole) << encoding << " cut at " << cut;
  }
}

TEST(TransferEncoding, PiecesDecodeLikeTheWhole) {
  expect_any_cut_decodes_alike("quoted-printable", "Sch=C3=B6ne  \r\nsoft=  \r\nbreak =ZZ=4x=\rend=3D  ");
  expect_any_cut_decodes_alike("base64", "aGVs\r\nbG8g\nd29y bGQ=trailing");
  expect_any_cut_decodes_alike("8bit", "as is\r\n");
  EXPECT_FALSE(TransferDecoder::for_encoding("x-uuencode"));
}

TEST(TransferEncoding, QuotedPrintableBlankRunsAreBounded) {
  std::string in = "a" + std::string(5000, ' ') + "b\r\n=" + std::string(5000, ' ') + "c";
  EXPECT_EQ(decode_quoted_printable(in), "a" + std::string(5000, ' ') + "b\r\n=" + std::string(5000, ' ') + "c");
}
