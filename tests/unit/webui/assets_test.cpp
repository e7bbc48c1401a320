// The embedded web UI table: index.html at "/", the files it links present with the right
// content types, gzip bodies that inflate to the bodies, distinct quoted ETags, and no answer
// for unknown or dot-segment paths.
#include "webui/assets.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <regex>
#include <string>

namespace kurier::webui {
namespace {

std::string gunzip(std::string_view gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
  std::string out;
  char buf[16384];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  EXPECT_EQ(rc, Z_STREAM_END);
  return out;
}

// The hashed file names index.html links ("/assets/app-XXXX.js", "/assets/style-XXXX.css").
std::string linked(std::string_view html, const char* pattern) {
  std::match_results<std::string_view::const_iterator> m;
  std::regex re(pattern);
  if (!std::regex_search(html.begin(), html.end(), m, re)) return "";
  return m[1].str();
}

TEST(WebuiAssets, RootIsIndexHtml) {
  const Asset* root = find_asset("/");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root, find_asset("/index.html"));
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
  EXPECT_NE(root->body.find("<div id=\"app\">"), std::string_view::npos);
}

TEST(WebuiAssets, IndexLinksScriptAndStyleThatExist) {
  std::string_view html = find_asset("/")->body;
  std::string js = linked(html, R"(src="(/assets/app-[A-Z0-9]+\.js)\")");
  std::string css = linked(html, R"(href="(/assets/style-[A-Z0-9]+\.css)\")");
  ASSERT_FALSE(js.empty()) << html;
  ASSERT_FALSE(css.empty()) << html;
  ASSERT_NE(find_asset(js), nullptr);
  ASSERT_NE(find_asset(css), nullptr);
  EXPECT_EQ(find_asset(js)->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(find_asset(css)->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(find_asset("/favicon.svg")->content_type, "image/svg+xml");
  // No inline script: the CSP forbids it (issue 11).
  EXPECT_EQ(html.find("<script>"), std::string_view::npos);
}

TEST(WebuiAssets, GzipInflatesToBodyAndIsSmaller) {
  for (const char* path : {"/", "/favicon.svg"}) {
    const Asset* a = find_asset(path);
    ASSERT_NE(a, nullptr) << path;
    EXPECT_EQ(gunzip(a->gzip_body), a->body) << path;
  }
  std::string js = linked(find_asset("/")->body, R"(src="(/assets/app-[A-Z0-9]+\.js)\")");
  const Asset* app = find_asset(js);
  EXPECT_EQ(gunzip(app->gzip_body), app->body);
  EXPECT_LT(app->gzip_body.size(), app->body.size() / 2);
}

TEST(WebuiAssets, EtagsAreQuotedAndDistinct) {
  const Asset* a = find_asset("/");
  const Asset* b = find_asset("/favicon.svg");
  EXPECT_TRUE(std::regex_match(std::string(a->etag), std::regex(R"("[0-9a-f]{32}")"))) << a->etag;
  EXPECT_NE(a->etag, b->etag);
}

TEST(WebuiAssets, UnknownAndDotSegmentPathsHaveNoAsset) {
  EXPECT_EQ(find_asset("/domains/example.test"), nullptr);  // a client route: the server serves index.html
  EXPECT_EQ(find_asset("/nope.js"), nullptr);
  EXPECT_EQ(find_asset(""), nullptr);
  EXPECT_EQ(find_asset("index.html"), nullptr);
  EXPECT_EQ(find_asset("/./index.html"), nullptr);
  EXPECT_EQ(find_asset("/../index.html"), nullptr);
  EXPECT_EQ(find_asset("//index.html"), nullptr);
  EXPECT_EQ(find_asset("/index.html/"), nullptr);
  EXPECT_EQ(find_asset("/\\index.html"), nullptr);
}

}  // namespace
}  // namespace kurier::webui
