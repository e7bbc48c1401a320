// gzip (RFC 1952) compression of response bodies with zlib, and the Accept-Encoding check
// (RFC 9110 12.5.3).
#pragma once
#include <string>
#include <string_view>

namespace kurier::http {

std::string gzip_compress(std::string_view data);
// True if the Accept-Encoding value lists gzip (or x-gzip, or *) with a q-value above 0.
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace kurier::http
