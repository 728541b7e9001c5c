// Power-loss emulation for fault tests: "what a crash of the machine would
// have left on disk", for a server that is only killed.
//
// kill -9 loses nothing a process handed to the kernel: written but unsynced
// data survives in the page cache. A power loss would drop it. With this
// mode on, every sync of a RocksDB write-ahead log records the size it made
// durable in a ledger next to the database; at the next open, every WAL is
// cut back to that size before RocksDB reads it. A write that was
// acknowledged without a sync (the bug this exists to expose) is then lost
// the way a real power cut would lose it.
//
// Compiled in only with -DFAILPOINTS=ON (never in Release) and active only
// when the server starts with ZABKEEPER_DROP_UNSYNCED=1. Turn it on for a
// fresh data dir: with no ledger yet, nothing is cut (what predates the
// ledger is unknown), and the ledger starts then.
//
// Only WALs are cut: RocksDB syncs SST files and the MANIFEST before it
// relies on them, and all of the server's writes (log, state, epochs) go
// through the WAL in one order, so cutting it keeps a prefix of them.
#ifndef ZABKEEPER_STORAGE_POWER_LOSS_H_
#define ZABKEEPER_STORAGE_POWER_LOSS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "rocksdb/env.h"

namespace zabkeeper::storage {

// True when ZABKEEPER_DROP_UNSYNCED=1 (always false without FAILPOINTS).
bool PowerLossModeEnabled();

// Where the ledger of database dir `db_dir` lives.
std::string SyncLedgerPath(const std::string& db_dir);

// Cuts every WAL (*.log) in db_dir back to the size its last recorded sync
// covered, 0 if it was never synced. Returns the bytes dropped. Without a
// ledger it drops nothing and starts one that counts today's WALs as synced.
absl::StatusOr<uint64_t> DropUnsyncedWal(const std::string& db_dir);

// An Env whose WAL syncs are recorded in db_dir's ledger. Must outlive the DB.
std::unique_ptr<rocksdb::Env> SyncLedgerEnv(const std::string& db_dir);

}  // namespace zabkeeper::storage

#endif  // ZABKEEPER_STORAGE_POWER_LOSS_H_
