// FileBlobStore: durable, streamed blob files (see blob_store.h for the layout and guarantees).
#include "store/blob_store.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "store/errors.h"

namespace kurier::store {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void throw_io(const std::string& what, const fs::path& path, int err = errno) {
  throw StoreError(StoreErrc::io, what + " " + path.string() + ": " + std::strerror(err));
}

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// Runs sync (fsync or syncfs) on an fd of directory DIR.
void sync_through_dir(const fs::path& dir, int (*sync)(int), const char* what) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_io("open directory", dir);
  int rc = sync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) throw_io(what, dir, err);
}

void fsync_dir(const fs::path& dir) { sync_through_dir(dir, ::fsync, "fsync directory"); }

// Creates DIR if missing and says whether it did; with `sync`, a new directory's entry is made
// durable at once by syncing its parent (otherwise the caller syncs the parent once for many).
bool ensure_dir(const fs::path& dir, bool sync = true) {
  if (::mkdir(dir.c_str(), 0750) == 0) {
    if (sync) fsync_dir(dir.parent_path());
    return true;
  }
  if (errno != EEXIST) throw_io("mkdir", dir);
  return false;
}

void write_all(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_io("write", path);
    }
    data.remove_prefix(size_t(n));
  }
}

// The temp file is created at the first write (or at commit, for an empty blob), not when the
// writer is made: protocol sessions create writers on their I/O thread, and creating a file can
// block for milliseconds behind a concurrent syncfs(2); the first write of a small message
// happens in the delivery's offloaded work instead.
class FileBlobWriter final : public BlobWriter {
 public:
  FileBlobWriter(const FileBlobStore& store, uint64_t max_bytes)
      : store_(store), id_(BlobId::random()), max_bytes_(max_bytes) {}

  ~FileBlobWriter() override { discard(); }

  void write(std::string_view chunk) override {
    if (finished_) throw StoreError(StoreErrc::invalid_argument, "blob writer already finished");
    if (max_bytes_ != 0 && written_ + chunk.size() > max_bytes_) {
      discard();
      throw StoreError(StoreErrc::limit_exceeded,
                       "blob exceeds " + std::to_string(max_bytes_) + " bytes");
    }
    ensure_open();
    write_all(fd_, chunk, temp_path_);
    written_ += chunk.size();
  }

  uint64_t bytes_written() const override { return written_; }

  BlobId commit() override { return place(true); }
  BlobId commit_unsynced() override { return place(false); }

 private:
  void ensure_open() {
    if (fd_ >= 0) return;
    temp_path_ = store_.temp_dir() / (id_.str() + ".tmp");
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd_ < 0) {
      int err = errno;
      fs::path failed = std::move(temp_path_);
      temp_path_.clear();
      throw_io("create", failed, err);
    }
  }

  BlobId place(bool sync) {
    if (finished_) throw StoreError(StoreErrc::invalid_argument, "blob writer already finished");
    ensure_open();
    finished_ = true;
    if (sync && ::fdatasync(fd_) != 0) throw_io("fdatasync", temp_path_);
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) throw_io("close", temp_path_);
    fs::path final_path = store_.path_of(id_);  // its fan-out directory exists (see open)
    if (::rename(temp_path_.c_str(), final_path.c_str()) != 0) throw_io("rename", final_path);
    temp_path_.clear();
    if (sync) fsync_dir(final_path.parent_path());
    return id_;
  }

  void discard() {
    finished_ = true;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
    temp_path_.clear();
  }

  const FileBlobStore& store_;
  BlobId id_;
  uint64_t max_bytes_;
  uint64_t written_ = 0;
  fs::path temp_path_;  // set while the temp file exists
  int fd_ = -1;
  bool finished_ = false;  // committed or discarded
};

// Reads a whole small blob into memory and closes fd (see BlobView::kCopyLimit).
BlobView read_small(int fd, size_t size, const fs::path& path) {
  auto bytes = std::make_unique_for_overwrite<char[]>(size);
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, bytes.get() + done, size - done, off_t(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;  // 0: the file shrank, which a written blob never does
      ::close(fd);
      throw_io("read", path, err);
    }
    done += size_t(n);
  }
  ::close(fd);
  return BlobView(std::move(bytes), size);
}

}  // namespace

std::optional<BlobId> BlobId::parse(std::string_view text) {
  if (text.size() != 32) return std::nullopt;
  for (char c : text)
    if (!is_lower_hex(c)) return std::nullopt;
  BlobId id;
  id.hex_ = std::string(text);
  return id;
}

BlobId BlobId::random() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw StoreError(StoreErrc::io, "RAND_bytes failed while naming a blob");
  static const char digits[] = "0123456789abcdef";
  BlobId id;
  id.hex_.reserve(32);
  for (unsigned char b : bytes) {
    id.hex_.push_back(digits[b >> 4]);
    id.hex_.push_back(digits[b & 15]);
  }
  return id;
}

BlobView::BlobView(BlobView&& other) noexcept
    : owned_(std::move(other.owned_)), addr_(other.addr_), size_(other.size_) {
  other.addr_ = nullptr;
  other.size_ = 0;
}

BlobView& BlobView::operator=(BlobView&& other) noexcept {
  if (this != &other) {
    unmap();
    owned_ = std::move(other.owned_);
    addr_ = other.addr_;
    size_ = other.size_;
    other.addr_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

BlobView::~BlobView() { unmap(); }

void BlobView::unmap() {
  if (owned_) owned_.reset();
  else if (addr_ != nullptr && size_ > 0) ::munmap(const_cast<void*>(addr_), size_);
  addr_ = nullptr;
  size_ = 0;
}

FileBlobStore::FileBlobStore(fs::path root)
    : root_(std::move(root)), sync_([this] { sync_through_dir(root_, ::syncfs, "syncfs"); }) {
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) throw StoreError(StoreErrc::io, "create " + root_.string() + ": " + ec.message());
  ensure_dir(temp_dir());
  static const char digits[] = "0123456789abcdef";
  bool created = false;
  for (int i = 0; i < 256; ++i) created |= ensure_dir(root_ / std::string{digits[i >> 4], digits[i & 15]}, false);
  if (created) fsync_dir(root_);  // one sync for the fan-out directories just made
  // A temp file is never referenced by the mail store (only committed ids are), so anything
  // left here is from a writer that crashed or was abandoned mid-blob.
  for (const auto& entry : fs::directory_iterator(temp_dir(), ec)) fs::remove(entry.path(), ec);
}

std::unique_ptr<BlobWriter> FileBlobStore::create(uint64_t max_bytes) {
  return std::make_unique<FileBlobWriter>(*this, max_bytes);
}

fs::path FileBlobStore::path_of(const BlobId& id) const {
  if (id.empty()) throw StoreError(StoreErrc::invalid_argument, "empty blob id");
  const std::string& h = id.str();
  return root_ / h.substr(0, 2) / h;
}

BlobView FileBlobStore::open(const BlobId& id) const {
  fs::path path = path_of(id);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw StoreError(StoreErrc::not_found, "blob " + id.str() + " not found");
    throw_io("open", path);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    throw_io("fstat", path, err);
  }
  if (st.st_size == 0) {
    ::close(fd);
    return BlobView();
  }
  if (size_t(st.st_size) <= BlobView::kCopyLimit) return read_small(fd, size_t(st.st_size), path);
  void* addr = ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
  int err = errno;
  ::close(fd);
  if (addr == MAP_FAILED) throw_io("mmap", path, err);
  return BlobView(addr, size_t(st.st_size));
}

std::optional<uint64_t> FileBlobStore::size(const BlobId& id) const {
  struct stat st {};
  if (::stat(path_of(id).c_str(), &st) != 0) return std::nullopt;
  return uint64_t(st.st_size);
}

// syncfs(2) writes back every dirty page and inode of the filesystem holding the blobs and
// waits for it: one call makes all unsynced blobs (and their new directories) durable, and
// SharedSync lets the deliveries waiting at the same time share it.
void FileBlobStore::sync_all() { sync_.sync_after_writes(); }

void FileBlobStore::remove(const BlobId& id) {
  fs::path path = path_of(id);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_io("unlink", path);
}

void FileBlobStore::for_each(const std::function<void(const BlobId&, int64_t)>& fn) const {
  std::error_code ec;
  const auto now = std::time(nullptr);
  for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->path().parent_path() == temp_dir() || !it->is_regular_file(ec)) continue;
    auto id = BlobId::parse(it->path().filename().string());
    if (!id) continue;
    struct stat st {};
    if (::stat(it->path().c_str(), &st) != 0) continue;
    fn(*id, int64_t(now - st.st_mtime));
  }
}

}  // namespace kurier::store
