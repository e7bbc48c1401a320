// Security headers and response compression (pure parts of http/server.h).
#include "http/gzip.h"
#include "http/server.h"

namespace kurier::http {
namespace {

bool compressible(std::string_view type) {
  return type.starts_with("text/") || type.starts_with("application/json") ||
         type.starts_with("application/problem+json") || type.starts_with("application/javascript") ||
         type.starts_with("image/svg+xml");
}

constexpr size_t kMinGzipSize = 1024;

}  // namespace

void add_security_headers(Response& r, bool tls) {
  // No inline script or style (the UI ships its code as files), nothing framed (clickjacking).
  r.set_header("Content-Security-Policy",
               "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
               "frame-ancestors 'none'");
  r.set_header("X-Content-Type-Options", "nosniff");
  r.set_header("Referrer-Policy", "no-referrer");
  r.set_header("X-Frame-Options", "DENY");
  r.set_header("Cross-Origin-Opener-Policy", "same-origin");
  if (tls) r.set_header("Strict-Transport-Security", "max-age=31536000");
  if (r.header("Cache-Control").empty()) r.set_header("Cache-Control", "no-store");
}

void maybe_gzip(Response& r, const Request& req) {
  if (r.body_is_gzip || r.body.size() < kMinGzipSize || !compressible(r.content_type)) return;
  if (!accepts_gzip(req.header("Accept-Encoding"))) return;
  r.body = gzip_compress(r.body);
  r.body_is_gzip = true;
}

}  // namespace kurier::http
