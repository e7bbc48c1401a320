// Error answers as RFC 9457 "Problem Details for HTTP APIs": application/problem+json with
// type, title, status, detail and kurier's stable machine-readable `code` (documented in
// docs/INTERFACE.md; clients branch on it, never on `detail`).
#pragma once
#include <string>
#include <string_view>

#include "http/message.h"

namespace kurier::http {

// code: a stable snake_case identifier ("not_found", "forbidden", "invalid_input", ...).
// detail: for humans; never a secret.
Response problem(int status, std::string_view code, std::string_view detail);
// The reason phrase of a status (RFC 9110 15): "Not Found".
std::string_view status_title(int status);

}  // namespace kurier::http
