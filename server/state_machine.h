// StateMachine: the replicated state (DataTree + session table) and the one
// function that changes it: Apply(zxid, txn). Apply is a pure function of
// (state, zxid, txn), so every server that applies the same txns in zxid order
// holds the same state. It also turns what changed into a storage::StateBatch.
//
// Not thread-safe: the server holds its tree lock exclusively around Apply.
#ifndef ZABKEEPER_SERVER_STATE_MACHINE_H_
#define ZABKEEPER_SERVER_STATE_MACHINE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "server/data_tree.h"
#include "storage/state_store.h"
#include "zabkeeper/client.pb.h"
#include "zabkeeper/txn.pb.h"

namespace zabkeeper::server {

// What the originating session is told about an applied txn.
struct ApplyResult {
  proto::ErrorCode err = proto::OK;
  std::string error_detail;
  std::string path;                    // create: the final path
  proto::Stat stat;                    // create, setData, setACL: the node's new stat
  std::vector<proto::OpResult> multi;  // multi: one result per op
  bool has_stat = false;
};

class StateMachine {
 public:
  ApplyResult Apply(Zxid zxid, const proto::Txn& txn, ChangeSet* changes);

  const DataTree& tree() const { return tree_; }
  const absl::btree_map<int64_t, proto::SessionRecord>& sessions() const { return sessions_; }
  Zxid last_applied() const { return last_applied_; }

  // The records to persist for everything touched since the last call,
  // stamped with last_applied(). Clears the dirty sets.
  storage::StateBatch TakeBatch();

  // Replaces this state with what the store holds.
  absl::Status LoadFrom(const storage::StateStore& store);

  // The whole state as one batch (for tests).
  storage::StateBatch FullState() const;

  // SNAP: the whole state written straight into a snapshot message (no
  // intermediate copy: a 1M-znode tree is hundreds of MB), and the reverse.
  void FillSnapshot(proto::StateSnapshot* out) const;
  absl::Status LoadSnapshot(const proto::StateSnapshot& snapshot);

 private:
  ApplyResult ApplyOne(Zxid zxid, const proto::Txn& txn, int64_t time_ms, ChangeSet* changes);
  void ApplyMulti(Zxid zxid, const proto::Txn& txn, ChangeSet* changes, ApplyResult* result);

  DataTree tree_;
  absl::btree_map<int64_t, proto::SessionRecord> sessions_;
  absl::btree_set<std::string> dirty_paths_;
  absl::btree_set<int64_t> dirty_sessions_;
  Zxid last_applied_;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_STATE_MACHINE_H_
