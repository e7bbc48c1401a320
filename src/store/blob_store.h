// Blob storage for raw message bytes: write once (streamed), read back (small blobs copied,
// large ones mmap'd), remove when the last message referencing the blob is expunged (the
// reference count lives in the MailStore).
//
// FileBlobStore layout: ROOT/ab/<id> where <id> is 32 lower-case hex digits (random 128 bits)
// and ab its first two. The 256 fan-out directories are created (and synced) when the store
// opens, so storing a message never creates a directory: on ext4 every new directory costs an
// inode in a fresh block group (Orlov spreading), which was ~10% of delivery CPU with a second
// fan-out level. 256 directories keep a million messages at ~4,000 entries each, which ext4's
// hashed directories handle without slowing down. Writers stream into ROOT/tmp/ (same
// filesystem) and commit() makes the blob durable: fdatasync(file), rename into place,
// fsync(directory). Leftover temp files of abandoned writers are removed when the store opens.
// Blob ids are random rather than content hashes, so a blob that reaches refcount 0 can never
// be revived by a concurrent writer of the same bytes.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/shared_sync.h"

namespace kurier::store {

// 32 lower-case hex digits. Constructed only from validated text (parse) or by a writer.
class BlobId {
 public:
  BlobId() = default;
  static std::optional<BlobId> parse(std::string_view text);
  static BlobId random();
  const std::string& str() const { return hex_; }
  bool empty() const { return hex_.empty(); }
  bool operator==(const BlobId&) const = default;
  auto operator<=>(const BlobId&) const = default;

 private:
  std::string hex_;
};

// Read-only view of a blob's bytes. Blobs up to kCopyLimit are read into an owned buffer;
// bigger ones are mmap'd (unmapped on destruction), so a 100 MiB message costs address space,
// not memory. Copying small ones is cheaper than mmap: munmap flushes the TLB of every core
// running the process (an IPI per core, costly under virtualisation). Move-only.
class BlobView {
 public:
  static constexpr size_t kCopyLimit = 128 * 1024;
  BlobView() = default;
  BlobView(const void* addr, size_t size) : addr_(addr), size_(size) {}  // takes an mmap
  explicit BlobView(std::unique_ptr<char[]> bytes, size_t size)
      : owned_(std::move(bytes)), addr_(owned_.get()), size_(size) {}
  BlobView(BlobView&& other) noexcept;
  BlobView& operator=(BlobView&& other) noexcept;
  BlobView(const BlobView&) = delete;
  BlobView& operator=(const BlobView&) = delete;
  ~BlobView();

  std::string_view data() const { return {static_cast<const char*>(addr_), size_}; }
  size_t size() const { return size_; }

 private:
  void unmap();
  std::unique_ptr<char[]> owned_;  // set when the bytes were copied, not mapped
  const void* addr_ = nullptr;
  size_t size_ = 0;
};

// Streams one blob. Destroying a writer without commit() discards the temp file.
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;
  virtual void write(std::string_view chunk) = 0;  // throws StoreError (io, limit_exceeded)
  virtual uint64_t bytes_written() const = 0;
  // Durably stores the blob and returns its id. The writer is finished afterwards.
  virtual BlobId commit() = 0;
  // Puts the blob in place without syncing it: it is durable only once BlobStore::sync_all()
  // has returned. The mail store calls that before it commits a message marked
  // NewMessage::blob_synced = false, and concurrent callers share one filesystem sync, so
  // deliveries do not pay an fdatasync and a directory fsync each (DESIGN.md, rule 1).
  virtual BlobId commit_unsynced() = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // max_bytes bounds what write() accepts (0 = unbounded).
  virtual std::unique_ptr<BlobWriter> create(uint64_t max_bytes = 0) = 0;
  virtual BlobView open(const BlobId& id) const = 0;          // throws not_found / io
  virtual std::optional<uint64_t> size(const BlobId& id) const = 0;  // nullopt if absent
  virtual void remove(const BlobId& id) = 0;                  // absent blobs are ignored
  // Makes every blob placed by commit_unsynced() before the call durable (data and directory
  // entries). Thread-safe; concurrent callers may share one sync.
  virtual void sync_all() = 0;
  // Visits every stored blob with its age in seconds (for orphan sweeps).
  virtual void for_each(const std::function<void(const BlobId&, int64_t age_seconds)>& fn) const = 0;
};

class FileBlobStore final : public BlobStore {
 public:
  // Creates ROOT and ROOT/tmp if needed and removes temp files left by abandoned writers.
  explicit FileBlobStore(std::filesystem::path root);

  std::unique_ptr<BlobWriter> create(uint64_t max_bytes = 0) override;
  BlobView open(const BlobId& id) const override;
  std::optional<uint64_t> size(const BlobId& id) const override;
  void remove(const BlobId& id) override;
  void sync_all() override;
  void for_each(const std::function<void(const BlobId&, int64_t)>& fn) const override;

  std::filesystem::path path_of(const BlobId& id) const;
  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path temp_dir() const { return root_ / "tmp"; }

 private:
  std::filesystem::path root_;
  SharedSync sync_;  // one syncfs(2) for every thread waiting at the same time
};

}  // namespace kurier::store
