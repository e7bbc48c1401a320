#include <chrono>
#include "store/blob_store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "store/errors.h"
#include "store_test_util.h"

namespace kurier::store {
namespace {

using testing::TempDir;

TEST(BlobIdTest, ParseAcceptsOnlyLowerHex32) {
  EXPECT_TRUE(BlobId::parse("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(BlobId::parse("0123456789ABCDEF0123456789abcdef"));
  EXPECT_FALSE(BlobId::parse("../../etc/passwd"));
  EXPECT_FALSE(BlobId::parse(""));
  EXPECT_FALSE(BlobId::parse("0123456789abcdef0123456789abcde"));
  EXPECT_NE(BlobId::random(), BlobId::random());
}

TEST(FileBlobStoreTest, StreamedWriteCommitAndMappedRead) {
  TempDir dir;
  FileBlobStore blobs(dir.path() / "blobs");
  auto writer = blobs.create();
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    std::string chunk(1000, char('a' + i % 26));
    writer->write(chunk);
    expected += chunk;
  }
  EXPECT_EQ(writer->bytes_written(), expected.size());
  BlobId id = writer->commit();
  EXPECT_TRUE(std::filesystem::exists(blobs.path_of(id)));
  EXPECT_EQ(blobs.path_of(id).parent_path().filename(), id.str().substr(0, 2));
  EXPECT_EQ(blobs.path_of(id).parent_path().parent_path(), blobs.root());
  EXPECT_TRUE(std::filesystem::is_empty(blobs.temp_dir()));
  BlobView view = blobs.open(id);
  EXPECT_EQ(view.size(), expected.size());
  EXPECT_EQ(view.data(), expected);
  EXPECT_EQ(blobs.size(id), expected.size());
}

TEST(FileBlobStoreTest, UnsyncedCommitIsReadableAndSyncAllSucceeds) {
  TempDir dir;
  FileBlobStore blobs(dir.path() / "blobs");
  auto writer = blobs.create();
  writer->write("Subject: x\r\n\r\nbody\r\n");
  BlobId id = writer->commit_unsynced();
  EXPECT_TRUE(std::filesystem::exists(blobs.path_of(id)));
  EXPECT_TRUE(std::filesystem::is_empty(blobs.temp_dir()));
  EXPECT_EQ(blobs.open(id).data(), "Subject: x\r\n\r\nbody\r\n");
  EXPECT_NO_THROW(blobs.sync_all());
  EXPECT_THROW(writer->commit(), StoreError);  // a writer commits once
}

// Both read paths: a copy up to BlobView::kCopyLimit, a mapping above it; moves keep the bytes.
TEST(FileBlobStoreTest, SmallAndLargeBlobsReadBackThroughBothPaths) {
  TempDir dir;
  FileBlobStore blobs(dir.path() / "blobs");
  for (size_t size : {BlobView::kCopyLimit, BlobView::kCopyLimit + 1, 3 * BlobView::kCopyLimit}) {
    std::string bytes(size, 'x');
    bytes.back() = 'y';
    auto writer = blobs.create();
    writer->write(bytes);
    BlobId id = writer->commit();
    BlobView view = blobs.open(id);
    BlobView moved = std::move(view);
    EXPECT_EQ(view.size(), 0u);
    ASSERT_EQ(moved.size(), size);
    EXPECT_EQ(moved.data(), bytes);
    view = std::move(moved);
    EXPECT_EQ(view.data(), bytes);
  }
}

TEST(FileBlobStoreTest, EmptyBlob) {
  TempDir dir;
  FileBlobStore blobs(dir.path());
  BlobId id = blobs.create()->commit();
  EXPECT_EQ(blobs.open(id).size(), 0u);
  EXPECT_EQ(blobs.open(id).data(), "");
}

TEST(FileBlobStoreTest, AbandonedWriterLeavesNothing) {
  TempDir dir;
  FileBlobStore blobs(dir.path());
  {
    auto writer = blobs.create();
    writer->write("partial message");
  }
  EXPECT_TRUE(std::filesystem::is_empty(blobs.temp_dir()));
  size_t count = 0;
  blobs.for_each([&](const BlobId&, int64_t) { ++count; });
  EXPECT_EQ(count, 0u);
}

TEST(FileBlobStoreTest, CrashedWriterTempFileIsRemovedOnOpen) {
  TempDir dir;
  {
    FileBlobStore blobs(dir.path());
    auto stale = blobs.temp_dir() / "0123456789abcdef0123456789abcdef.tmp";
    std::ofstream(stale) << "half a mess";
    std::filesystem::last_write_time(stale, std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
  }
  FileBlobStore reopened(dir.path());
  EXPECT_TRUE(std::filesystem::is_empty(reopened.temp_dir()));
}

// A process beside the owner (the CLI's import) may be writing a blob when the server starts.
TEST(FileBlobStoreTest, RecentTempFileMayBeAGuestsAndIsKept) {
  TempDir dir;
  FileBlobStore guest(dir.path(), true);
  auto writer = guest.create();
  writer->write("being imported");
  FileBlobStore owner(dir.path());
  EXPECT_FALSE(std::filesystem::is_empty(owner.temp_dir()));
  BlobId id = writer->commit();
  EXPECT_EQ(owner.open(id).data(), "being imported");
  FileBlobStore another_guest(dir.path(), true);  // a guest removes nothing
  EXPECT_TRUE(owner.size(id).has_value());
}

TEST(FileBlobStoreTest, SizeLimitIsEnforced) {
  TempDir dir;
  FileBlobStore blobs(dir.path());
  auto writer = blobs.create(10);
  writer->write("12345");
  try {
    writer->write("1234567");
    FAIL() << "expected limit_exceeded";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.code(), StoreErrc::limit_exceeded);
  }
  EXPECT_THROW(writer->commit(), StoreError);
  EXPECT_TRUE(std::filesystem::is_empty(blobs.temp_dir()));
}

TEST(FileBlobStoreTest, RemoveAndMissing) {
  TempDir dir;
  FileBlobStore blobs(dir.path());
  BlobId id = testing::write_blob(blobs, "x");
  blobs.remove(id);
  EXPECT_FALSE(blobs.size(id));
  blobs.remove(id);  // idempotent
  try {
    blobs.open(id);
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_EQ(e.code(), StoreErrc::not_found);
  }
}

TEST(FileBlobStoreTest, ViewIsMovable) {
  TempDir dir;
  FileBlobStore blobs(dir.path());
  BlobId id = testing::write_blob(blobs, "hello");
  BlobView a = blobs.open(id);
  BlobView b = std::move(a);
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(b.data(), "hello");
  a = std::move(b);
  EXPECT_EQ(a.data(), "hello");
}

}  // namespace
}  // namespace kurier::store
