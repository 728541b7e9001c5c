// WatchManager: the watches of the sessions attached to this server (watches
// are local, as in ZooKeeper). Owned by one thread (the node core's); no locks.
//
// One-shot watches fire at most once: Trigger removes what it fires. Data
// watches come from getData and exists (exists on a missing node waits for
// its creation); child watches from getChildren. Which event fires which watch
// is ZooKeeper's table: NodeCreated and NodeDataChanged fire data watches of
// the path; NodeDeleted fires data and child watches of the path;
// NodeChildrenChanged fires child watches of the (parent) path.
//
// Persistent watches (ZooKeeper 3.6's addWatch) stay after firing. A
// PERSISTENT watch on P fires for every event on P (NodeCreated, NodeDeleted,
// NodeDataChanged, NodeChildrenChanged); a PERSISTENT_RECURSIVE watch on P
// fires NodeCreated, NodeDeleted and NodeDataChanged of P and of every
// descendant, never NodeChildrenChanged. The kinds are independent: a session
// may hold all four on one path (ZooKeeper 3.9, ZOOKEEPER-4466).
#ifndef ZABKEEPER_SERVER_WATCH_MANAGER_H_
#define ZABKEEPER_SERVER_WATCH_MANAGER_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "zabkeeper/client.pb.h"

namespace zabkeeper::server {

enum class WatchKind { kData, kChild, kPersistent, kPersistentRecursive };
inline constexpr WatchKind kAllWatchKinds[] = {
    WatchKind::kData, WatchKind::kChild, WatchKind::kPersistent, WatchKind::kPersistentRecursive};

// The kinds a removeWatches/checkWatches WatcherType names (ANY: all four);
// empty for an unknown type.
std::vector<WatchKind> WatchKindsOf(proto::WatcherType type);

class WatchManager {
 public:
  void Add(const std::string& path, int64_t session_id, WatchKind kind);

  // The sessions an event of `type` on `path` notifies, ascending, each once
  // even when several of its watches match (ZooKeeper dedupes per watcher):
  // every returned session gets exactly one event (type, path). One-shot
  // watches that fired are gone afterwards; persistent ones stay. Cost: one
  // lookup per kind, plus one per ancestor of `path` while any recursive
  // watch exists.
  std::vector<int64_t> Trigger(proto::EventType type, const std::string& path);

  // removeWatches: drops the session's watches of `type` on `path`; false if
  // it had none (ZooKeeper's NO_WATCHER).
  bool Remove(const std::string& path, int64_t session_id, proto::WatcherType type);
  // checkWatches: whether the session has a watch of `type` on `path`.
  bool Contains(const std::string& path, int64_t session_id, proto::WatcherType type) const;

  void RemoveSession(int64_t session_id);
  bool Has(const std::string& path, int64_t session_id, WatchKind kind) const;

  size_t watch_count() const;
  // How many watches `session_id` holds (each path and kind once).
  size_t SessionWatchCount(int64_t session_id) const;
  // path -> sessions, for the admin `wchs`/`wchp` views.
  std::vector<std::pair<std::string, std::vector<int64_t>>> Snapshot(WatchKind kind) const;

 private:
  using Table = absl::flat_hash_map<std::string, absl::flat_hash_set<int64_t>>;
  Table& TableOf(WatchKind kind) { return tables_[static_cast<size_t>(kind)]; }
  const Table& TableOf(WatchKind kind) const { return tables_[static_cast<size_t>(kind)]; }
  // Moves the one-shot watches of `kind` on `path` into `out`.
  void TakeFrom(WatchKind kind, const std::string& path, absl::flat_hash_set<int64_t>& out);
  // Copies the (persistent) watches of `kind` on `path` into `out`.
  void CopyFrom(WatchKind kind, absl::string_view path, absl::flat_hash_set<int64_t>& out) const;
  bool EraseOne(const std::string& path, int64_t session_id, WatchKind kind);

  std::array<Table, 4> tables_;  // indexed by WatchKind
  // session -> (path, kind) it watches, to drop them all when it detaches.
  absl::flat_hash_map<int64_t, absl::flat_hash_set<std::pair<std::string, WatchKind>>> by_session_;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_WATCH_MANAGER_H_
