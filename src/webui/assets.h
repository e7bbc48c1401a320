// The web UI's files (web/dist), embedded in the binary at build time by src/webui/webui.cmake:
// each with its content type, its bytes, the same bytes gzip-compressed at build time, and a
// strong ETag (with its quotes, ready for the ETag header). The HTTP server serves them; paths
// the table lacks are client routes of the single-page app, answered with "/index.html".
#pragma once
#include <string_view>

namespace kurier::webui {

struct Asset {
  std::string_view content_type, body, gzip_body, etag;
};

// The asset at a URL path ("/", "/index.html", "/assets/app-HASH.js"; without query string): "/" is
// index.html. nullptr when there is none, and for any path with a "." or ".." segment.
const Asset* find_asset(std::string_view path);

}  // namespace kurier::webui
