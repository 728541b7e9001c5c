// DataTree: the znode tree with ZooKeeper's stat bookkeeping. It holds nodes,
// stats, ACL ids and the ephemeral index, nothing else: watches, sessions and
// the request pipeline live elsewhere.
//
// Mutations are the primitive steps of applying a transaction (StateMachine
// sequences them); each records what changed into a ChangeSet so the caller can
// fire watches and persist exactly the touched nodes. The tree also keeps a
// digest of its whole content (sum of per-node hashes, updated on every
// mutation), equal on two servers that applied the same zxids.
//
// Not thread-safe: the server guards it with a reader/writer lock.
#ifndef ZABKEEPER_SERVER_DATA_TREE_H_
#define ZABKEEPER_SERVER_DATA_TREE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "server/acl_table.h"
#include "server/znode.h"
#include "zabkeeper/client.pb.h"
#include "zabkeeper/records.pb.h"
#include "zabkeeper/txn.pb.h"

namespace zabkeeper::server {

// One watch-relevant change, in the order it happened.
struct TreeEvent {
  proto::EventType type;
  std::string path;
  // The ACL of the node the event is about (a deleted node's last ACL; the
  // parent's for NodeChildrenChanged): watchers without READ on it are not
  // told (ZooKeeper's fix of CVE-2024-23944).
  uint32_t acl_id = AclTable::kOpenAclId;
};

// What a sequence of mutations touched.
struct ChangeSet {
  std::vector<TreeEvent> events;
  absl::btree_set<std::string> dirty_paths;  // to re-persist (or delete)
};

class DataTree {
 public:
  // A tree holding "/", "/zookeeper", "/zookeeper/quota" and "/zookeeper/config" as a
  // fresh ZooKeeper 3.8 server has them.
  DataTree();

  const Znode* Find(absl::string_view path) const;
  size_t node_count() const { return nodes_.size(); }
  uint64_t digest() const { return digest_; }
  const AclTable& acls() const { return acls_; }

  // Paths of the ephemerals owned by a session, sorted.
  std::vector<std::string> EphemeralsOf(int64_t session_id) const;
  // Every (session, ephemeral path) pair; for getEphemerals and admin dumps.
  const absl::flat_hash_map<int64_t, absl::btree_set<std::string>>& ephemerals() const {
    return ephemerals_;
  }

  // The mutations. Each returns a ZooKeeper error (NoNode, NodeExists, ...)
  // instead of crashing when the txn does not fit the tree, which only
  // happens if a txn is applied to the wrong state.
  absl::Status CreateNode(const proto::CreateTxn& txn, Zxid zxid, int64_t time_ms,
                          ChangeSet* changes);
  absl::Status DeleteNode(absl::string_view path, Zxid zxid, ChangeSet* changes);
  absl::Status SetData(const proto::SetDataTxn& txn, Zxid zxid, int64_t time_ms,
                       ChangeSet* changes);
  absl::Status SetAcl(const proto::SetAclTxn& txn, ChangeSet* changes);

  // Persistence: a node's record, and rebuilding a tree from records in path
  // order (a parent before its children).
  proto::ZnodeRecord ToRecord(const Znode& node) const;
  absl::Status LoadNode(const std::string& path, const proto::ZnodeRecord& record);

  // Paths of container and TTL nodes (what NodeReaper scans).
  const absl::btree_set<std::string>& expirable() const { return expirable_; }

  // Visits every node, each parent before its children and siblings in name
  // order (for snapshots and dumps).
  void ForEach(const std::function<void(const std::string&, const Znode&)>& fn) const;

  // Quotas (server/quota.h), as ZooKeeper's DataTree keeps them: the paths
  // that have a limits node, and the one whose subtree holds path (the
  // longest such prefix; "" for none, and never "/"). Every create, delete and
  // setData in a quota's subtree updates its stats node as part of the
  // mutation (ZooKeeper's updateCountBytes); creating a stats node fills it
  // from the current subtree (updateQuotaForPath).
  const absl::btree_set<std::string>& quota_paths() const { return quota_paths_; }
  std::string QuotaPathOf(absl::string_view path) const;

 private:
  Znode* FindMutable(absl::string_view path);
  uint64_t HashNode(absl::string_view path, const Znode& node) const;
  void Unhash(absl::string_view path, const Znode& node) { digest_ -= HashNode(path, node); }
  void Rehash(absl::string_view path, const Znode& node) { digest_ += HashNode(path, node); }
  void AddSystemNode(const std::string& path);
  // Quota bookkeeping after a node at path was created (deleted) with bytes
  // of data, and after its data changed size by bytes_diff.
  void QuotaAfterCreate(const std::string& path, int64_t bytes, ChangeSet* changes);
  void QuotaAfterDelete(const std::string& path, int64_t bytes, ChangeSet* changes);
  void UpdateQuotaStats(const std::string& quota_path, int64_t count_diff, int64_t bytes_diff,
                        ChangeSet* changes);
  void RecomputeQuotaStats(const std::string& quota_path, ChangeSet* changes);

  // The znodes, indexed by their own `path` (heterogeneous lookup by
  // string_view): an 8-byte slot per znode instead of a second copy of the
  // path in a map key (issue 7's memory target, ~0.4 KB per znode).
  struct PathHash {
    using is_transparent = void;
    size_t operator()(absl::string_view path) const {
      return absl::Hash<absl::string_view>()(path);
    }
    size_t operator()(const std::unique_ptr<Znode>& n) const { return (*this)(n->path); }
  };
  struct PathEq {
    using is_transparent = void;
    static absl::string_view Key(absl::string_view path) { return path; }
    static absl::string_view Key(const std::unique_ptr<Znode>& n) { return n->path; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return Key(a) == Key(b);
    }
  };
  // Adds `node` (its path set) under `parent` (null only for "/").
  Znode* Insert(std::unique_ptr<Znode> node, Znode* parent);

  absl::flat_hash_set<std::unique_ptr<Znode>, PathHash, PathEq> nodes_;
  absl::flat_hash_map<int64_t, absl::btree_set<std::string>> ephemerals_;
  AclTable acls_;
  absl::btree_set<std::string> expirable_;
  absl::btree_set<std::string> quota_paths_;
  uint64_t digest_ = 0;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_DATA_TREE_H_
