// Shared fixtures for the store unit tests: a temporary data directory with a FileBlobStore and
// a SqliteMailStore, plus helpers that write a blob and append it.
#pragma once
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <memory>
#include <string>

#include "store/blob_store.h"
#include "store/errors.h"
#include "store/sqlite_mail_store.h"

#include "../temp_dir.h"

namespace kurier::store::testing {

// A TempDir named after this module, so leftovers are easy to attribute.
class TempDir : public kurier::testing::TempDir {
 public:
  TempDir() : kurier::testing::TempDir("kurier-store") {}
};

inline BlobId write_blob(BlobStore& blobs, std::string_view content) {
  auto writer = blobs.create();
  writer->write(content);
  return writer->commit();
}

class StoreTest : public ::testing::Test {
 protected:
  static constexpr AccountId kAlice = 1;
  static constexpr AccountId kBob = 2;

  void SetUp() override { open(); }

  void open(size_t max_batch = 256) {
    blobs_ = std::make_unique<FileBlobStore>(dir_.path() / "blobs");
    SqliteMailStore::Options options;
    options.db_path = dir_.path() / "store.db";
    options.max_batch = max_batch;
    store_ = std::make_unique<SqliteMailStore>(options, *blobs_);
    store_->set_commit_fault([this] {
      if (fail_commits_) throw StoreError(StoreErrc::io, "injected COMMIT failure");
    });
  }

  void reopen() {
    store_.reset();
    blobs_.reset();
    open();
  }

  NewMessage new_message(std::string_view content, std::string structure = "(\"text\")") {
    NewMessage msg;
    msg.blob = write_blob(*blobs_, content);
    msg.size = content.size();
    msg.internal_date = 1700000000;
    msg.internal_tz = 60;
    msg.cached_structure = std::move(structure);
    return msg;
  }

  AppendResult add(MailboxId mailbox, std::string_view content = "Subject: hi\r\n\r\nbody\r\n",
                   Flags flags = {}) {
    return store_->append(mailbox, new_message(content), flags);
  }

  MailboxId create(AccountId account, std::string_view name) {
    return store_->create_mailbox(account, name).id;
  }

  MailboxId inbox(AccountId account = kAlice) {
    auto box = store_->find_mailbox(account, "INBOX");
    return box ? box->id : store_->create_mailbox(account, "INBOX").id;
  }

  size_t blob_file_count() {
    size_t n = 0;
    blobs_->for_each([&](const BlobId&, int64_t) { ++n; });
    return n;
  }

  TempDir dir_;
  std::atomic<bool> fail_commits_{false};  // the store's commit_fault seam throws while set
  std::unique_ptr<FileBlobStore> blobs_;
  std::unique_ptr<SqliteMailStore> store_;
};

inline Flags flags_of(uint32_t system, std::vector<std::string> keywords = {}) {
  Flags f;
  f.system = system;
  f.keywords = std::move(keywords);
  return f;
}

}  // namespace kurier::store::testing
