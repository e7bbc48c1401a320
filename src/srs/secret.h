// The SRS secret (codec.h's HMAC key): generated at first start, kept in DATA/srs.secret with
// mode 0600 like the DKIM keys, never replaced. One line of text, as postsrsd's secret file
// (postsrsd reads its first line as the key), so both can share it.
#pragma once
#include <filesystem>
#include <string>

namespace kurier::srs {

// Reads the secret, or creates the file with 32 random bytes (base64) when it is missing.
// Another process creating it at the same time wins (link(), no overwrite). Throws
// std::runtime_error naming the file on I/O errors or an empty file.
std::string load_or_create_secret(const std::filesystem::path& path);

}  // namespace kurier::srs
