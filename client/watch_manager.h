// The client's table of registered watches, keyed by server path (chroot
// included). Decides which watchers an event fires (ZooKeeper's
// ZKWatchManager.materialize rules) and produces the SetWatches request that
// re-registers them after a reattach. Not thread-safe: the session guards it.
#ifndef ZABKEEPER_CLIENT_WATCH_MANAGER_H_
#define ZABKEEPER_CLIENT_WATCH_MANAGER_H_

#include <map>
#include <string>
#include <vector>

#include "client/types.h"
#include "zabkeeper/client.pb.h"

namespace zk {

enum class WatchKind { kData, kExist, kChild, kPersistent, kPersistentRecursive };

class WatchManager {
 public:
  void Add(WatchKind kind, const std::string& path, Watcher watcher);

  // Watchers an event on `path` fires; one-shot ones are removed.
  std::vector<Watcher> Materialize(EventType type, const std::string& path);

  // Every watcher, and the table emptied (session over).
  std::vector<Watcher> TakeAll();

  // Removes watches of `type` on `path`; returns how many were removed.
  size_t Remove(const std::string& path, proto::WatcherType type);
  bool Has(const std::string& path, proto::WatcherType type) const;

  bool empty() const;
  proto::SetWatchesRequest ToSetWatches(int64_t relative_zxid) const;

 private:
  using Table = std::map<std::string, std::vector<Watcher>>;
  Table& TableOf(WatchKind kind);
  static void MoveOut(Table& table, const std::string& path, std::vector<Watcher>* out);

  Table data_, exist_, child_, persistent_, recursive_;
};

}  // namespace zk

#endif  // ZABKEEPER_CLIENT_WATCH_MANAGER_H_
