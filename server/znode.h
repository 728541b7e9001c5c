// Znode: one node of the tree, in the compact in-memory form the DataTree
// keeps (a plain struct, not a proto, to keep 1M nodes small).
#ifndef ZABKEEPER_SERVER_ZNODE_H_
#define ZABKEEPER_SERVER_ZNODE_H_

#include <cstdint>
#include <string>

#include "absl/container/btree_set.h"
#include "absl/strings/string_view.h"
#include "consensus/zxid.h"
#include "zabkeeper/common.pb.h"

namespace zabkeeper::server {

using Zxid = ::zab::Zxid;

// A zxid as ZooKeeper's stat and wire protocol hold it: a signed 64-bit long.
inline int64_t StatZxid(Zxid zxid) { return static_cast<int64_t>(zxid.raw()); }
inline Zxid ZxidOfStat(int64_t zxid) { return Zxid::FromRaw(static_cast<uint64_t>(zxid)); }

// ZooKeeper's StatPersisted; dataLength and numChildren are derived.
struct StatData {
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t pzxid = 0;
  int64_t ctime = 0;
  int64_t mtime = 0;
  int64_t ephemeral_owner = 0;
  int32_t version = 0;
  int32_t cversion = 0;
  int32_t aversion = 0;

  Zxid created() const { return ZxidOfStat(czxid); }
  Zxid modified() const { return ZxidOfStat(mzxid); }
  Zxid children_changed() const { return ZxidOfStat(pzxid); }
};

struct Znode {
  // The full path. DataTree indexes znodes by it, and the parent's `children`
  // set holds views of its last component, so each name is stored once.
  std::string path;
  std::string data;
  StatData stat;
  uint32_t acl_id = 0;  // index into the tree's AclTable
  bool container = false;
  int64_t ttl_ms = 0;  // > 0 for TTL nodes
  // Names of the children, sorted: views into each child's `path`, valid
  // while the child exists (DataTree erases the view before the child).
  absl::btree_set<absl::string_view> children;

  // The last path component ("" for "/").
  absl::string_view name() const {
    const size_t slash = path.rfind('/');
    return absl::string_view(path).substr(slash == std::string::npos ? 0 : slash + 1);
  }

  // The stat as ZooKeeper 3.8 reports it. It stores cversion as the number of
  // child creates (which names sequential children) and reports
  // 2 * creates - numChildren, so the reported value moves on every create and
  // delete of a child (observed: docs/ZOOKEEPER_OBSERVED.md; a fresh "/"
  // reports -1).
  void FillStat(proto::Stat* out) const {
    FillStoredStat(out);
    out->set_cversion(stat.cversion * 2 - static_cast<int32_t>(children.size()));
  }

  // The stat as stored (cversion = creates), for persistence.
  void FillStoredStat(proto::Stat* out) const {
    out->set_czxid(stat.czxid);
    out->set_mzxid(stat.mzxid);
    out->set_pzxid(stat.pzxid);
    out->set_ctime(stat.ctime);
    out->set_mtime(stat.mtime);
    out->set_version(stat.version);
    out->set_cversion(stat.cversion);
    out->set_aversion(stat.aversion);
    out->set_ephemeral_owner(stat.ephemeral_owner);
    out->set_data_length(static_cast<int32_t>(data.size()));
    out->set_num_children(static_cast<int32_t>(children.size()));
  }
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_ZNODE_H_
