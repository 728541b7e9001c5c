// StateStore: the materialised znode tree and session table as of one applied
// zxid (lastApplied), so a restart loads state and replays only the log tail.
//
// Guarantees: a StateBatch is applied atomically together with its
// last_applied zxid. Writes are not made durable on their own: after a crash
// the store reflects some prefix of the applied batches, never a torn one,
// at least up to DurableApplied() as it was before the crash. The log must
// hold every txn after that point (the caller purges it only below
// DurableApplied() + 1), so a restart rolls the state forward from there.
#ifndef ZABKEEPER_STORAGE_STATE_STORE_H_
#define ZABKEEPER_STORAGE_STATE_STORE_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "consensus/zxid.h"
#include "zabkeeper/records.pb.h"

namespace zabkeeper::storage {

// A set of changes to apply at once. nullopt deletes the key.
struct StateBatch {
  std::vector<std::pair<std::string, std::optional<proto::ZnodeRecord>>> nodes;
  std::vector<std::pair<int64_t, std::optional<proto::SessionRecord>>> sessions;
  ::zab::Zxid last_applied;

  bool empty() const { return nodes.empty() && sessions.empty(); }
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  virtual absl::Status Write(const StateBatch& batch) = 0;

  // Replaces the whole state (a SNAP from the leader, or a wipe) atomically
  // and durably: DurableApplied() is full_state.last_applied on return.
  virtual absl::Status ReplaceAll(const StateBatch& full_state) = 0;

  // Visits every node in path order (a parent before its children), then every
  // session. Stops at the first non-OK status returned by a visitor.
  virtual absl::Status Load(
      const std::function<absl::Status(const std::string&, const proto::ZnodeRecord&)>& on_node,
      const std::function<absl::Status(const proto::SessionRecord&)>& on_session) const = 0;

  virtual ::zab::Zxid LastApplied() const = 0;
  // The last_applied a crash now would keep at least: log entries after it
  // must stay. Called by the writing thread.
  virtual ::zab::Zxid DurableApplied() = 0;
};

// The PurgeBefore bound that drops `last` and everything before it.
inline ::zab::Zxid PurgeThrough(::zab::Zxid last) { return ::zab::Zxid::FromRaw(last.raw() + 1); }

// Where a purge that asks to drop the log below `wanted` may cut it: never
// past the state's durable point, since a restart replays the log after it.
inline ::zab::Zxid PurgePoint(::zab::Zxid wanted, StateStore& state) {
  return std::min(wanted, PurgeThrough(state.DurableApplied()));
}

}  // namespace zabkeeper::storage

#endif  // ZABKEEPER_STORAGE_STATE_STORE_H_
