// History: what a chaos run records, and what the checkers report.
//
// A history is the list of operations clients issued against a real ensemble,
// each with its invoke time, its completion time (if the client ever got a
// reply) and the result the server returned. The checkers in this folder read
// histories; none of them talks to a server, so a failing history can be saved
// and re-checked exactly.
//
// Conventions every checker relies on:
// - Times are one monotonic clock of the harness (nanoseconds, any origin);
//   `invoke` is taken before the request is sent, `complete` after the reply
//   is read, so the real effect happened somewhere inside [invoke, complete].
// - An operation without `complete` is indeterminate (timeout, connection
//   loss): it may have taken effect at any time after `invoke`, or never.
//   Its `result` is kUnknown.
// - kFail means the server answered and the operation definitely had no
//   effect. For a kCas that answer is BadVersion: the register's version was
//   not `expected_version` at the point the CAS took effect.
// - `zxid` is what ZooKeeper returns where it returns one: for a write, the
//   txn's zxid (Stat.mzxid of setData's reply); for a read, the znode's mzxid
//   (Stat.mzxid); zero when unknown. `version` is Stat.version likewise: for a
//   write, the version after it; for a read, the version read; -1 when unknown.
// - Values are integers: the harness writes unique values per key, so a value
//   names the write that produced it.
#ifndef ZABKEEPER_TESTS_CHAOS_HISTORY_H_
#define ZABKEEPER_TESTS_CHAOS_HISTORY_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "consensus/zxid.h"

namespace zabkeeper::chaos {

using Zxid = zab::Zxid;
// Harness clock, nanoseconds.
using Time = int64_t;
// ZooKeeper session id (survives reconnects to other servers).
using SessionId = int64_t;

enum class OpKind {
  kRead,             // getData(key): returns value, version, mzxid.
  kWrite,            // setData(key, value, -1): blind write.
  kCas,              // setData(key, value, expected_version): compare-and-set.
  kMulti,            // multi of list appends and list reads (see `micro`).
  kSync,             // sync(key): the next read sees everything committed before it.
  kCreateEphemeral,  // create(key, EPHEMERAL) (ephemeral_check.h uses its own records).
};

enum class OpResult { kOk, kFail, kUnknown };

// One step of a kMulti: append `element` to list `key`, or read list `key`
// (the result is filled in `list` when the multi completed ok).
struct MicroOp {
  enum class Kind { kAppend, kRead };
  Kind kind = Kind::kAppend;
  std::string key;
  int64_t element = 0;        // kAppend
  std::vector<int64_t> list;  // kRead: the whole list as read
};

struct Operation {
  SessionId session = 0;
  int process = 0;  // harness worker that issued it
  OpKind kind = OpKind::kRead;
  std::string key;
  int64_t value = 0;              // written (kWrite/kCas) or read (kRead) value
  int32_t expected_version = -1;  // kCas only
  int32_t version = -1;           // Stat.version after a write / as read; -1 = unknown
  Zxid zxid;                      // write: txn zxid; read: mzxid; zero = unknown
  Time invoke = 0;
  std::optional<Time> complete;  // none = indeterminate
  OpResult result = OpResult::kUnknown;
  std::vector<MicroOp> micro;  // kMulti only

  bool completed() const { return complete.has_value(); }
  bool ok() const { return result == OpResult::kOk; }
};

using History = std::vector<Operation>;

// "#3 s1 write k=x v=7 [10,20] ok zxid=0x100000003 ver=2"
std::string FormatOp(const History& history, size_t index);

enum class AnomalyKind {
  // linearizability.h
  kNotLinearizable,
  kSearchBudgetExhausted,
  // session_order.h
  kFifoViolation,
  kReadYourWrites,
  kMonotonicRead,
  kReadOlderThanSession,
  kSyncViolation,
  // list_append.h
  kLostAppend,
  kDuplicateAppend,
  kIncompatibleOrder,
  kAbortedRead,
  kGarbageRead,
  kCycle,
  // watch_check.h
  kWatchOutOfOrder,
  kWatchDuplicated,
  kWatchMissing,
  kWatchLate,
  kWatchSpurious,
  kWatchMissedChange,
  // ephemeral_check.h
  kEphemeralEarlyDeletion,
  kEphemeralLateDeletion,
  kEphemeralResurrected,
  // durability_check.h
  kLostWrite,
  kDivergentNodes,
};

const char* AnomalyName(AnomalyKind kind);

// One violation of the consistency promise, with the operations that prove it
// (indices into the checked history, or into the checker's own input list).
struct Anomaly {
  AnomalyKind kind;
  std::string key;
  std::vector<size_t> ops;
  std::string explanation;  // human-readable, multi-line allowed
};

// What every checker returns. Empty `anomalies` = the history is valid.
struct CheckResult {
  std::vector<Anomaly> anomalies;

  bool ok() const { return anomalies.empty(); }
  bool Has(AnomalyKind kind) const;
  // The anomaly involving the fewest operations (ties: the first found; one
  // naming no operations comes last); requires !ok().
  const Anomaly& Smallest() const;
  // "OK", or the count and the smallest anomaly, formatted for a test log.
  std::string Report() const;
};

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_HISTORY_H_
