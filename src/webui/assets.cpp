// find_asset: the lookup in the generated table of web/dist (see asset_table.h).
#include "webui/assets.h"

#include <algorithm>

#include "webui/asset_table.h"

namespace kurier::webui {

namespace {

// A path that names one file of the table: no dot segments, no empty segments, no backslash.
bool plain_path(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.find('\\') != std::string_view::npos) return false;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

const Asset* find_asset(std::string_view path) {
  if (path == "/") path = "/index.html";
  if (!plain_path(path)) return nullptr;
  const auto* begin = detail::kAssets;
  const auto* end = detail::kAssets + detail::kAssetCount;
  const auto* it = std::lower_bound(begin, end, path, [](const detail::TableEntry& e, std::string_view p) { return e.path < p; });
  if (it == end || it->path != path) return nullptr;
  return &it->asset;
}

}  // namespace kurier::webui
