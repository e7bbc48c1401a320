// Every SQL statement of the SQLite backend, in one place: the versioned schema (migrations)
// and the parameterized statements the store prepares once per connection and caches.
// Statements are identified by the address of their text (inline constexpr arrays have one
// address program-wide), see kurier::sql::Database::cached() in common/sqlite.h.
//
// Invariants kept by triggers (so no code path can forget them):
// - mailboxes.msg_count/msg_bytes/unseen_count/deleted_count follow the messages table;
// - blobs.refcount counts the messages rows and the expunged rows naming the blob; when it
//   reaches 0 the blob row moves to blob_garbage, whose files the store unlinks after the
//   transaction committed.
// - An expunged row keeps the message's metadata and blob (blob_id not NULL) while a session
//   may still address it; the store sets blob_id to NULL once no session can (v2, and
//   "Expunged messages" in docs/ARCHITECTURE.md).
#pragma once
#include <array>

namespace kurier::store::sql {

struct Migration {
  int version;
  const char* script;
};

inline constexpr char kCreateMigrationsTable[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations("
    " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)";
inline constexpr char kSchemaVersion[] = "SELECT coalesce(max(version), 0) FROM schema_migrations";
inline constexpr char kRecordMigration[] =
    "INSERT INTO schema_migrations(version, applied_at) VALUES(?1, ?2)";

inline constexpr char kSchemaV1[] = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES('last_uidvalidity', 0);

CREATE TABLE mailboxes(
  id INTEGER PRIMARY KEY AUTOINCREMENT,   -- AUTOINCREMENT: ids are never reused
  account_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  uidvalidity INTEGER NOT NULL,
  uidnext INTEGER NOT NULL DEFAULT 1,
  highest_modseq INTEGER NOT NULL DEFAULT 1,
  special_use TEXT NOT NULL DEFAULT '',
  noselect INTEGER NOT NULL DEFAULT 0,
  msg_count INTEGER NOT NULL DEFAULT 0,
  msg_bytes INTEGER NOT NULL DEFAULT 0,
  unseen_count INTEGER NOT NULL DEFAULT 0,
  deleted_count INTEGER NOT NULL DEFAULT 0,
  UNIQUE(account_id, name));

CREATE TABLE subscriptions(
  account_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY(account_id, name)) WITHOUT ROWID;

CREATE TABLE blobs(
  id TEXT PRIMARY KEY,
  refcount INTEGER NOT NULL,
  size INTEGER NOT NULL,
  structure BLOB NOT NULL);

CREATE TABLE blob_garbage(id TEXT PRIMARY KEY) WITHOUT ROWID;

CREATE TABLE messages(
  mailbox_id INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  flags INTEGER NOT NULL,
  keywords TEXT NOT NULL,
  internal_date INTEGER NOT NULL,
  internal_tz INTEGER NOT NULL,
  size INTEGER NOT NULL,
  blob_id TEXT NOT NULL,
  PRIMARY KEY(mailbox_id, uid)) WITHOUT ROWID;
CREATE INDEX messages_by_modseq ON messages(mailbox_id, modseq);

CREATE TABLE expunged(
  mailbox_id INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  PRIMARY KEY(mailbox_id, uid)) WITHOUT ROWID;
CREATE INDEX expunged_by_modseq ON expunged(mailbox_id, modseq);

-- flags bit 1 = \Seen, bit 8 = \Deleted (store/types.h)
CREATE TRIGGER messages_counted_in AFTER INSERT ON messages BEGIN
  UPDATE mailboxes SET msg_count = msg_count + 1, msg_bytes = msg_bytes + new.size,
    unseen_count = unseen_count + ((new.flags & 1) = 0),
    deleted_count = deleted_count + ((new.flags & 8) != 0)
  WHERE id = new.mailbox_id;
  UPDATE blobs SET refcount = refcount + 1 WHERE id = new.blob_id;
END;

CREATE TRIGGER messages_counted_out AFTER DELETE ON messages BEGIN
  UPDATE mailboxes SET msg_count = msg_count - 1, msg_bytes = msg_bytes - old.size,
    unseen_count = unseen_count - ((old.flags & 1) = 0),
    deleted_count = deleted_count - ((old.flags & 8) != 0)
  WHERE id = old.mailbox_id;
  UPDATE blobs SET refcount = refcount - 1 WHERE id = old.blob_id;
  INSERT OR IGNORE INTO blob_garbage(id)
    SELECT id FROM blobs WHERE id = old.blob_id AND refcount <= 0;
  DELETE FROM blobs WHERE id = old.blob_id AND refcount <= 0;
END;

CREATE TRIGGER messages_recounted AFTER UPDATE OF flags, mailbox_id ON messages
WHEN old.mailbox_id != new.mailbox_id OR (old.flags & 9) != (new.flags & 9) BEGIN
  UPDATE mailboxes SET msg_count = msg_count - 1, msg_bytes = msg_bytes - old.size,
    unseen_count = unseen_count - ((old.flags & 1) = 0),
    deleted_count = deleted_count - ((old.flags & 8) != 0)
  WHERE id = old.mailbox_id;
  UPDATE mailboxes SET msg_count = msg_count + 1, msg_bytes = msg_bytes + new.size,
    unseen_count = unseen_count + ((new.flags & 1) = 0),
    deleted_count = deleted_count + ((new.flags & 8) != 0)
  WHERE id = new.mailbox_id;
END;
)sql";

// v2: expunged messages stay readable until every session that had them has been told
// (issue 9 item 3), and the first unclaimed \Recent UID per mailbox (RFC 3501 2.3.2).
inline constexpr char kSchemaV2[] = R"sql(
ALTER TABLE expunged ADD COLUMN message_modseq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE expunged ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;
ALTER TABLE expunged ADD COLUMN keywords TEXT NOT NULL DEFAULT '';
ALTER TABLE expunged ADD COLUMN internal_date INTEGER NOT NULL DEFAULT 0;
ALTER TABLE expunged ADD COLUMN internal_tz INTEGER NOT NULL DEFAULT 0;
ALTER TABLE expunged ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE expunged ADD COLUMN blob_id TEXT;
CREATE INDEX expunged_held ON expunged(mailbox_id, modseq) WHERE blob_id IS NOT NULL;

CREATE TRIGGER expunged_holds_blob AFTER INSERT ON expunged WHEN new.blob_id IS NOT NULL BEGIN
  UPDATE blobs SET refcount = refcount + 1 WHERE id = new.blob_id;
END;

CREATE TRIGGER expunged_releases_blob AFTER UPDATE OF blob_id ON expunged
WHEN old.blob_id IS NOT NULL AND new.blob_id IS NULL BEGIN
  UPDATE blobs SET refcount = refcount - 1 WHERE id = old.blob_id;
  INSERT OR IGNORE INTO blob_garbage(id)
    SELECT id FROM blobs WHERE id = old.blob_id AND refcount <= 0;
  DELETE FROM blobs WHERE id = old.blob_id AND refcount <= 0;
END;

CREATE TRIGGER expunged_dropped AFTER DELETE ON expunged WHEN old.blob_id IS NOT NULL BEGIN
  UPDATE blobs SET refcount = refcount - 1 WHERE id = old.blob_id;
  INSERT OR IGNORE INTO blob_garbage(id)
    SELECT id FROM blobs WHERE id = old.blob_id AND refcount <= 0;
  DELETE FROM blobs WHERE id = old.blob_id AND refcount <= 0;
END;

ALTER TABLE mailboxes ADD COLUMN recent_uid INTEGER NOT NULL DEFAULT 1;
UPDATE mailboxes SET recent_uid = uidnext;
)sql";

// v3: imports (docs/ARCHITECTURE.md "Imports and other writers beside the server").
// - import_log: which source message (source = the import's origin, key = the message's name
//   there) became which UID, written in the transaction that stores the message, so a re-run
//   of an interrupted import skips exactly what was committed.
// - change_journal: what a writer in ANOTHER process (the CLI's import) changed, one row per
//   mailbox per batch; the server polls it (PRAGMA data_version first, so an idle poll reads no
//   table) and publishes each row to its ChangeHub, so IMAP IDLE/NOOP see imported mail.
// - pop3_uidls: the POP3 UIDL a message had at its source, where it differs from the one kurier
//   derives from UIDVALIDITY and UID (pop3/uidl.h); removed with the message.
inline constexpr char kSchemaV3[] = R"sql(
CREATE TABLE import_log(
  account_id INTEGER NOT NULL,
  source TEXT NOT NULL,
  key TEXT NOT NULL,
  mailbox_id INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  PRIMARY KEY(account_id, source, key)) WITHOUT ROWID;

CREATE TABLE change_journal(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  mailbox_id INTEGER NOT NULL,
  highest_modseq INTEGER NOT NULL,
  reset INTEGER NOT NULL DEFAULT 0,
  at INTEGER NOT NULL);

CREATE TABLE pop3_uidls(
  mailbox_id INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  uidl TEXT NOT NULL,
  PRIMARY KEY(mailbox_id, uid)) WITHOUT ROWID;

CREATE TRIGGER messages_forget_uidl AFTER DELETE ON messages BEGIN
  DELETE FROM pop3_uidls WHERE mailbox_id = old.mailbox_id AND uid = old.uid;
END;
CREATE TRIGGER messages_move_uidl AFTER UPDATE OF mailbox_id ON messages
WHEN old.mailbox_id != new.mailbox_id BEGIN
  UPDATE pop3_uidls SET mailbox_id = new.mailbox_id WHERE mailbox_id = old.mailbox_id AND uid = old.uid;
END;
)sql";

inline constexpr std::array<Migration, 3> kMigrations = {
    {{1, kSchemaV1}, {2, kSchemaV2}, {3, kSchemaV3}}};

// ---- meta ----
inline constexpr char kLastUidValidity[] = "SELECT value FROM meta WHERE key = 'last_uidvalidity'";
inline constexpr char kSetLastUidValidity[] =
    "UPDATE meta SET value = ?1 WHERE key = 'last_uidvalidity'";

// ---- mailboxes ----
// Column order shared by every mailbox query (read by read_mailbox_row()).
#define KURIER_MAILBOX_COLUMNS                                                          \
  "m.id, m.account_id, m.name, m.uidvalidity, m.uidnext, m.highest_modseq, m.special_use, " \
  "m.noselect, EXISTS(SELECT 1 FROM subscriptions s "                                  \
  "WHERE s.account_id = m.account_id AND s.name = m.name), m.recent_uid"

inline constexpr char kMailboxById[] =
    "SELECT " KURIER_MAILBOX_COLUMNS " FROM mailboxes m WHERE m.id = ?1";
inline constexpr char kMailboxByName[] =
    "SELECT " KURIER_MAILBOX_COLUMNS " FROM mailboxes m WHERE m.account_id = ?1 AND m.name = ?2";
inline constexpr char kListMailboxes[] =
    "SELECT " KURIER_MAILBOX_COLUMNS " FROM mailboxes m WHERE m.account_id = ?1 ORDER BY m.name";
// Inferiors of ?2: names in ("?2/", "?20"), '0' being the character after '/'.
inline constexpr char kInferiors[] =
    "SELECT " KURIER_MAILBOX_COLUMNS " FROM mailboxes m WHERE m.account_id = ?1"
    " AND m.name > ?2 || '/' AND m.name < ?2 || '0' ORDER BY m.name";
#undef KURIER_MAILBOX_COLUMNS

inline constexpr char kHasInferiors[] =
    "SELECT EXISTS(SELECT 1 FROM mailboxes WHERE account_id = ?1"
    " AND name > ?2 || '/' AND name < ?2 || '0')";
inline constexpr char kInsertMailbox[] =
    "INSERT INTO mailboxes(account_id, name, uidvalidity, special_use) VALUES(?1, ?2, ?3, ?4)"
    " RETURNING id";
inline constexpr char kDeleteMailbox[] = "DELETE FROM mailboxes WHERE id = ?1";
inline constexpr char kMakeNoselect[] =
    "UPDATE mailboxes SET noselect = 1, special_use = '' WHERE id = ?1";
inline constexpr char kMakeSelectable[] =
    "UPDATE mailboxes SET noselect = 0, uidvalidity = ?2, uidnext = 1, recent_uid = 1, special_use = ?3"
    " WHERE id = ?1";
inline constexpr char kRenameMailbox[] = "UPDATE mailboxes SET name = ?2 WHERE id = ?1";
inline constexpr char kSetSpecialUse[] = "UPDATE mailboxes SET special_use = ?2 WHERE id = ?1";
inline constexpr char kSetUidNext[] = "UPDATE mailboxes SET uidnext = ?2 WHERE id = ?1";
inline constexpr char kSetHighestModseq[] =
    "UPDATE mailboxes SET highest_modseq = ?2 WHERE id = ?1";
inline constexpr char kSetUidNextAndModseq[] =
    "UPDATE mailboxes SET uidnext = ?2, highest_modseq = ?3 WHERE id = ?1";
inline constexpr char kMailboxStatus[] =
    "SELECT msg_count, unseen_count, deleted_count, msg_bytes, uidnext, uidvalidity,"
    " highest_modseq, (SELECT count(*) FROM messages WHERE mailbox_id = ?1 AND uid >= recent_uid)"
    " FROM mailboxes WHERE id = ?1";
inline constexpr char kSetRecentUid[] = "UPDATE mailboxes SET recent_uid = ?2 WHERE id = ?1";
inline constexpr char kAccountIds[] =
    "SELECT account_id FROM mailboxes UNION SELECT account_id FROM subscriptions ORDER BY 1";
inline constexpr char kAccountMailboxIds[] = "SELECT id FROM mailboxes WHERE account_id = ?1";
inline constexpr char kQuotaUsage[] =
    "SELECT coalesce(sum(msg_bytes), 0), coalesce(sum(msg_count), 0) FROM mailboxes"
    " WHERE account_id = ?1";

// ---- subscriptions ----
inline constexpr char kSubscribe[] =
    "INSERT OR IGNORE INTO subscriptions(account_id, name) VALUES(?1, ?2)";
inline constexpr char kUnsubscribe[] =
    "DELETE FROM subscriptions WHERE account_id = ?1 AND name = ?2";
inline constexpr char kSubscriptions[] =
    "SELECT name FROM subscriptions WHERE account_id = ?1 ORDER BY name";
inline constexpr char kDeleteSubscriptions[] = "DELETE FROM subscriptions WHERE account_id = ?1";

// ---- messages ----
#define KURIER_MESSAGE_COLUMNS \
  "uid, modseq, flags, keywords, internal_date, internal_tz, size, blob_id"
inline constexpr char kMessagesInRange[] =
    "SELECT " KURIER_MESSAGE_COLUMNS " FROM messages"
    " WHERE mailbox_id = ?1 AND uid BETWEEN ?2 AND ?3 ORDER BY uid";
inline constexpr char kMessagesChangedSince[] =
    "SELECT " KURIER_MESSAGE_COLUMNS " FROM messages"
    " WHERE mailbox_id = ?1 AND modseq > ?2 ORDER BY uid";
#undef KURIER_MESSAGE_COLUMNS
inline constexpr char kDeletedInRange[] =
    "SELECT uid FROM messages WHERE mailbox_id = ?1 AND uid BETWEEN ?2 AND ?3"
    " AND (flags & 8) != 0 ORDER BY uid";
inline constexpr char kUidsInRange[] =
    "SELECT uid FROM messages WHERE mailbox_id = ?1 AND uid BETWEEN ?2 AND ?3 ORDER BY uid";
// Live messages and the expunged ones still kept (a session may not have been told yet).
inline constexpr char kStructuresInRange[] =
    "SELECT m.uid, b.structure FROM messages m JOIN blobs b ON b.id = m.blob_id"
    " WHERE m.mailbox_id = ?1 AND m.uid BETWEEN ?2 AND ?3"
    " UNION ALL SELECT e.uid, b.structure FROM expunged e JOIN blobs b ON b.id = e.blob_id"
    " WHERE e.mailbox_id = ?1 AND e.uid BETWEEN ?2 AND ?3 ORDER BY 1";
inline constexpr char kInsertMessage[] =
    "INSERT INTO messages(mailbox_id, uid, modseq, flags, keywords, internal_date, internal_tz,"
    " size, blob_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
inline constexpr char kUpdateFlags[] =
    "UPDATE messages SET flags = ?3, keywords = ?4, modseq = ?5 WHERE mailbox_id = ?1 AND uid = ?2";
inline constexpr char kDeleteMessage[] = "DELETE FROM messages WHERE mailbox_id = ?1 AND uid = ?2";
inline constexpr char kDeleteMailboxMessages[] = "DELETE FROM messages WHERE mailbox_id = ?1";
inline constexpr char kMoveAllMessages[] =
    "UPDATE messages SET mailbox_id = ?2 WHERE mailbox_id = ?1";

// ---- expunged (QRESYNC, and messages kept until every session was told) ----
// Recording copies the message row (blob included, which holds a reference), so it runs
// before the message row is deleted. A plain DELETE first, not INSERT OR REPLACE: REPLACE
// would not fire the expunged_dropped trigger.
#define KURIER_EXPUNGED_COLUMNS \
  "mailbox_id, uid, modseq, message_modseq, flags, keywords, internal_date, internal_tz, size, blob_id"
#define KURIER_EXPUNGED_FROM_MESSAGES(modseq) \
  " SELECT mailbox_id, uid, " modseq ", modseq, flags, keywords, internal_date, internal_tz, size, blob_id" \
  " FROM messages WHERE mailbox_id = ?1"
inline constexpr char kForgetExpunge[] = "DELETE FROM expunged WHERE mailbox_id = ?1 AND uid = ?2";
inline constexpr char kRecordExpunge[] =
    "INSERT INTO expunged(" KURIER_EXPUNGED_COLUMNS ")" KURIER_EXPUNGED_FROM_MESSAGES("?3") " AND uid = ?2";
inline constexpr char kForgetExpungeAll[] =
    "DELETE FROM expunged WHERE mailbox_id = ?1 AND uid IN (SELECT uid FROM messages WHERE mailbox_id = ?1)";
inline constexpr char kRecordExpungeAll[] =
    "INSERT INTO expunged(" KURIER_EXPUNGED_COLUMNS ")" KURIER_EXPUNGED_FROM_MESSAGES("?2");
#undef KURIER_EXPUNGED_COLUMNS
#undef KURIER_EXPUNGED_FROM_MESSAGES
inline constexpr char kExpungedInRange[] =
    "SELECT uid, message_modseq, flags, keywords, internal_date, internal_tz, size, blob_id"
    " FROM expunged WHERE mailbox_id = ?1 AND uid BETWEEN ?2 AND ?3 AND blob_id IS NOT NULL"
    " ORDER BY uid";
inline constexpr char kMailboxesHoldingExpunged[] =
    "SELECT DISTINCT mailbox_id FROM expunged WHERE blob_id IS NOT NULL";
// Drops the data of messages expunged at or before ?2 (the expunged_releases_blob trigger).
inline constexpr char kReleaseExpunged[] =
    "UPDATE expunged SET blob_id = NULL WHERE mailbox_id = ?1 AND modseq <= ?2 AND blob_id IS NOT NULL";
inline constexpr char kReleaseAllExpunged[] =
    "UPDATE expunged SET blob_id = NULL WHERE blob_id IS NOT NULL";
inline constexpr char kVanishedSince[] =
    "SELECT uid FROM expunged WHERE mailbox_id = ?1 AND modseq > ?2 ORDER BY uid";
inline constexpr char kDeleteMailboxExpunged[] = "DELETE FROM expunged WHERE mailbox_id = ?1";

// ---- blobs ----
inline constexpr char kAddBlob[] =
    "INSERT INTO blobs(id, refcount, size, structure) VALUES(?1, 0, ?2, ?3)"
    " ON CONFLICT(id) DO NOTHING";
inline constexpr char kBlobKnown[] = "SELECT EXISTS(SELECT 1 FROM blobs WHERE id = ?1)";
inline constexpr char kBlobGarbage[] = "SELECT id FROM blob_garbage";
inline constexpr char kForgetGarbage[] = "DELETE FROM blob_garbage WHERE id = ?1";

// ---- imports (v3) ----
inline constexpr char kImportedKey[] =
    "SELECT EXISTS(SELECT 1 FROM import_log WHERE account_id = ?1 AND source = ?2 AND key = ?3)";
inline constexpr char kImportedKeys[] =
    "SELECT key FROM import_log WHERE account_id = ?1 AND source = ?2";
inline constexpr char kRecordImport[] =
    "INSERT INTO import_log(account_id, source, key, mailbox_id, uid) VALUES(?1, ?2, ?3, ?4, ?5)";
inline constexpr char kForgetAccountImports[] = "DELETE FROM import_log WHERE account_id = ?1";
inline constexpr char kSetUidValidity[] = "UPDATE mailboxes SET uidvalidity = ?2 WHERE id = ?1";
inline constexpr char kMailboxEverUsed[] =
    "SELECT uidnext > 1 OR highest_modseq > 1 OR msg_count > 0 FROM mailboxes WHERE id = ?1";
inline constexpr char kSetPop3Uidl[] =
    "INSERT OR REPLACE INTO pop3_uidls(mailbox_id, uid, uidl) VALUES(?1, ?2, ?3)";
inline constexpr char kPop3Uidls[] =
    "SELECT uid, uidl FROM pop3_uidls WHERE mailbox_id = ?1 ORDER BY uid";

// ---- the change journal (v3) ----
inline constexpr char kJournalChange[] =
    "INSERT INTO change_journal(mailbox_id, highest_modseq, reset, at) VALUES(?1, ?2, ?3, ?4)";
inline constexpr char kPruneJournal[] = "DELETE FROM change_journal WHERE at < ?1";
inline constexpr char kJournalEnd[] = "SELECT coalesce(max(seq), 0) FROM change_journal";
inline constexpr char kJournalSince[] =
    "SELECT seq, mailbox_id, highest_modseq, reset FROM change_journal WHERE seq > ?1 ORDER BY seq";

}  // namespace kurier::store::sql
