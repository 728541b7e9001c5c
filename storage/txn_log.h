// TxnLog: the ordered, durable log of transactions, keyed by zxid.
//
// Guarantees: entries are kept in strictly increasing zxid order; Append is
// durable (fsync'd) when it returns OK; a crash keeps a prefix of what was
// appended. The payload is opaque (a serialized proto::Txn for the server).
#ifndef ZABKEEPER_STORAGE_TXN_LOG_H_
#define ZABKEEPER_STORAGE_TXN_LOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "consensus/log_entry.h"

namespace zabkeeper::storage {

// The log's entry is the consensus core's (consensus/log_entry.h): one type
// from proposal to disk.
using LogEntry = ::zab::LogEntry;

class TxnLog {
 public:
  virtual ~TxnLog() = default;

  // Appends entries whose zxids are strictly increasing and greater than
  // LastZxid(). All of them are durable together when it returns OK.
  virtual absl::Status Append(absl::Span<const LogEntry> entries) = 0;

  // Entries with after < zxid, in order, at most max_entries of them.
  virtual absl::StatusOr<std::vector<LogEntry>> ReadAfter(::zab::Zxid after,
                                                          size_t max_entries) const = 0;

  // Removes every entry with zxid > zxid (ZAB's TRUNC). Durable on return.
  virtual absl::Status TruncateAfter(::zab::Zxid zxid) = 0;

  // Removes every entry with zxid < zxid (retention).
  virtual absl::Status PurgeBefore(::zab::Zxid zxid) = 0;

  // Zero when the log is empty.
  virtual ::zab::Zxid FirstZxid() const = 0;
  virtual ::zab::Zxid LastZxid() const = 0;

  // Number of durable sync operations performed by Append (group-commit stat).
  virtual uint64_t SyncCount() const = 0;
};

}  // namespace zabkeeper::storage

#endif  // ZABKEEPER_STORAGE_TXN_LOG_H_
