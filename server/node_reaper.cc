#include "server/node_reaper.h"

namespace zabkeeper::server {

std::vector<ReapCandidate> FindReapable(const DataTree& tree, int64_t now_ms, size_t limit) {
  std::vector<ReapCandidate> out;
  for (const std::string& path : tree.expirable()) {
    if (out.size() >= limit) break;
    const Znode* node = tree.Find(path);
    if (node == nullptr || !node->children.empty()) continue;
    const bool empty_container = node->container && node->stat.cversion > 0;
    const bool expired_ttl = node->ttl_ms > 0 && now_ms - node->stat.mtime > node->ttl_ms;
    if (empty_container || expired_ttl) out.push_back(ReapCandidate{path, node->stat.version});
  }
  return out;
}

}  // namespace zabkeeper::server
