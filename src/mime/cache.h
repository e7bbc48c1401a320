// Compact, versioned binary form of a parsed Part tree, kept by the store per message so
// FETCH answers BODYSTRUCTURE, ENVELOPE and section offsets without re-parsing.
// Layout: "KMC" + version byte, then the root part: unsigned LEB128 varints for numbers,
// varint length + bytes for strings, a 0/1 byte before optional strings, children last.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "mime/part.h"

namespace kurier::mime {

inline constexpr unsigned char kCacheVersion = 1;

std::string serialize(const Part& part);
// nullopt on a wrong magic/version or any truncated, oversized or inconsistent data.
std::optional<Part> deserialize(std::string_view data);

}  // namespace kurier::mime
