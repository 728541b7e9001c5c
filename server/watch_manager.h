// WatchManager: one-shot data and child watches of the sessions attached to
// this server (watches are local, as in ZooKeeper). A watch fires at most
// once: Trigger removes what it returns. Thread-safe.
//
// Data watches come from getData and exists (exists on a missing node waits
// for its creation); child watches from getChildren. Which event fires which
// watch is ZooKeeper's table: NodeCreated and NodeDataChanged fire data
// watches of the path; NodeDeleted fires data and child watches of the path;
// NodeChildrenChanged fires child watches of the (parent) path.
#ifndef ZABKEEPER_SERVER_WATCH_MANAGER_H_
#define ZABKEEPER_SERVER_WATCH_MANAGER_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "zabkeeper/client.pb.h"

namespace zabkeeper::server {

enum class WatchKind { kData, kChild };

class WatchManager {
 public:
  void Add(const std::string& path, int64_t session_id, WatchKind kind);

  // Sessions whose watch the event fires; those watches are gone afterwards.
  std::vector<int64_t> Trigger(proto::EventType type, const std::string& path);

  void RemoveSession(int64_t session_id);
  bool Has(const std::string& path, int64_t session_id, WatchKind kind) const;

  size_t watch_count() const;
  // path -> sessions, for the admin `wchs`/`wchp` views.
  std::vector<std::pair<std::string, std::vector<int64_t>>> Snapshot(WatchKind kind) const;

 private:
  using Table = absl::flat_hash_map<std::string, absl::flat_hash_set<int64_t>>;
  void TakeFrom(Table& table, WatchKind kind, const std::string& path,
                absl::flat_hash_set<int64_t>& out);

  mutable std::mutex mu_;
  Table data_;
  Table child_;
  // session -> (path, kind) it watches, to drop them all when it detaches.
  absl::flat_hash_map<int64_t, absl::flat_hash_set<std::pair<std::string, WatchKind>>> by_session_;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_WATCH_MANAGER_H_
