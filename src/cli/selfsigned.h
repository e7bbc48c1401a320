// A self-signed TLS certificate for `kurier init`, so TLS works from the first start.
#pragma once
#include <filesystem>
#include <string>

namespace kurier::cli {

// Writes an ECDSA P-256 key (mode 0600) and a certificate for hostname (CN and subjectAltName,
// plus 127.0.0.1 and ::1 for localhost), valid for 5 years. Throws std::runtime_error.
void write_self_signed_certificate(const std::string& hostname, const std::filesystem::path& cert_file,
                                   const std::filesystem::path& key_file);

}  // namespace kurier::cli
