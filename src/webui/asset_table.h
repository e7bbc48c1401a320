// The table that web/embed.mjs generates into the build tree (webui_assets_data.cpp): one
// entry per file of web/dist, sorted by path. Only src/webui/assets.cpp reads it.
#pragma once
#include <cstddef>
#include <string_view>

#include "webui/assets.h"

namespace kurier::webui::detail {

struct TableEntry {
  std::string_view path;  // "/index.html"
  Asset asset;
};

extern const TableEntry kAssets[];
extern const std::size_t kAssetCount;

}  // namespace kurier::webui::detail
