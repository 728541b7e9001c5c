// LogEntry: one transaction of the replicated log, the one type the ZAB core,
// the node core and the storage (TxnLog) all use, so an entry moves from a
// proposal to the disk without conversion. The payload is opaque to the
// consensus core and to storage (a serialized proto::Txn for the server).
#ifndef ZABKEEPER_CONSENSUS_LOG_ENTRY_H_
#define ZABKEEPER_CONSENSUS_LOG_ENTRY_H_

#include <string>

#include "consensus/zxid.h"

namespace zab {

struct LogEntry {
  Zxid zxid;
  std::string txn;

  bool operator==(const LogEntry&) const = default;
};

}  // namespace zab

#endif  // ZABKEEPER_CONSENSUS_LOG_ENTRY_H_
