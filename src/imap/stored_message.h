// One stored message as FETCH and SEARCH read it: its metadata, its MIME structure (from the
// store's cache, parsed again when the cache is missing or stale) and its bytes, each loaded
// on first use so that commands needing only flags never open the blob.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "mime/cache.h"
#include "mime/part.h"
#include "store/blob_store.h"
#include "store/types.h"

namespace kurier::imap {

struct StoredMessage {
  const store::MessageMeta* meta = nullptr;
  const std::string* cached = nullptr;  // serialized structure (mime/cache.h), if any
  store::BlobStore* blobs = nullptr;
  std::optional<store::BlobView> blob;
  std::optional<mime::Part> part;

  std::string_view bytes() {
    if (!blob) blob.emplace(blobs->open(meta->blob));
    return blob->data();
  }
  const mime::Part& structure() {
    if (!part) {
      if (cached) part = mime::deserialize(*cached);
      if (!part) part = mime::parse_message(bytes());  // cache missing or stale
    }
    return *part;
  }
};

}  // namespace kurier::imap
