// NodeReaper: finds container and TTL znodes that should go (ZooKeeper's
// ContainerManager). A container goes once it has had a child (its stored
// cversion > 0) and has none left; a TTL node goes once it has no children
// and was not modified for its TTL. The owner of expiry (standalone server or
// leader) turns each candidate into an ordinary delete with the version it
// saw, so a node that changed since the scan (new data, new child) survives.
#ifndef ZABKEEPER_SERVER_NODE_REAPER_H_
#define ZABKEEPER_SERVER_NODE_REAPER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "server/data_tree.h"

namespace zabkeeper::server {

struct ReapCandidate {
  std::string path;
  int32_t version = 0;
};

// Candidates at wall-clock now_ms, at most limit of them (ZooKeeper's
// znode.container.maxPerMinute bounds deletes per pass).
std::vector<ReapCandidate> FindReapable(const DataTree& tree, int64_t now_ms, size_t limit);

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_NODE_REAPER_H_
