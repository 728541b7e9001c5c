// Preparer: the first stage of the write pipeline (ZooKeeper's
// PrepRequestProcessor). It validates a write request against the tree *plus*
// every change already prepared but not yet applied, and turns it into a
// deterministic, idempotent proto::Txn: sequential names resolved, new
// versions computed, ephemeral owner set. A request that fails validation
// becomes an ErrorTxn, so it still takes its place (and zxid) in the
// session's order and is answered in turn.
//
// Not thread-safe: one preparer runs at a time (the server's prepare lock);
// the caller also holds the tree's lock for reading while it runs.
#ifndef ZABKEEPER_SERVER_PREPARER_H_
#define ZABKEEPER_SERVER_PREPARER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "server/data_tree.h"
#include "server/write_request.h"
#include "zabkeeper/client.pb.h"
#include "zabkeeper/txn.pb.h"

namespace zabkeeper::server {

struct PreparerLimits {
  size_t max_data_bytes = 1 << 20;              // ZooKeeper's jute.maxbuffer, 1 MiB
  bool extended_types_enabled = true;           // TTL nodes
  int64_t max_ttl_ms = (int64_t{1} << 40) - 1;  // ZooKeeper's EphemeralType.TTL max
  std::string super_digest;  // "super:base64(sha1)"; a session holding it passes ACL checks
  // ZooKeeper's zookeeper.enforceQuota: a create or setData that would pass a
  // quota's hard limit fails with QUOTA_EXCEEDED.
  bool enforce_quota = false;
};

class Preparer {
 public:
  explicit Preparer(PreparerLimits limits) : limits_(limits) {}

  // Prepares a write request from session_id into the txn to log at zxid.
  // tree must be the tree as of the last applied zxid.
  // On failure the txn is an ErrorTxn and *error_detail says why. auth is the
  // session's identities for ACL checks; nullptr means a trusted caller and
  // skips them (tests and server-internal txns).
  proto::Txn Prepare(const DataTree& tree, int64_t session_id, const proto::Request& request,
                     Zxid zxid, int64_t time_ms, std::string* error_detail,
                     const std::vector<proto::Id>* auth = nullptr);

  // Prepares any write that enters the pipeline (client writes, connect,
  // close, the leader's expiry and reaping) into the txn to log at zxid; the
  // error detail, if any, travels in the txn. session_live: the session is
  // in the applied session table (or its createSession is prepared); if not,
  // or if its close is prepared already, every write of it but a connect (and a server-internal
  // one) becomes a SESSION_EXPIRED error txn.
  proto::Txn PrepareWrite(const DataTree& tree, const WriteRequest& write, Zxid zxid,
                          int64_t time_ms, bool session_live);

  // Prepares the txn that creates a session.
  proto::Txn PrepareCreateSession(int64_t session_id, int32_t timeout_ms,
                                  const std::string& password, int64_t time_ms);

  // Prepares the txn that closes a session and deletes its ephemerals,
  // including ephemerals whose creation is prepared but not yet applied.
  proto::Txn PrepareCloseSession(const DataTree& tree, int64_t session_id, Zxid zxid,
                                 int64_t time_ms);

  // Forgets pending changes made by txns up to zxid: the tree has them now.
  void Applied(Zxid zxid);

  // Drops every pending change (the log failed, or leadership was lost).
  void Reset();

  size_t pending_count() const { return pending_.size(); }

 private:
  // A node as the next txn will find it: the tree plus pending changes.
  struct NodeView {
    bool exists = false;
    StatData stat;
    std::vector<proto::Acl> acl;
    int32_t num_children = 0;
    bool container = false;
    int64_t ttl_ms = 0;
    int64_t data_length = 0;
    Zxid zxid;  // txn that produced this view; zero when read from the tree
  };
  // A prepared change to the count and bytes of a quota's subtree.
  struct QuotaChange {
    Zxid zxid;
    std::string quota_path;
    int64_t count = 0;
    int64_t bytes = 0;
  };
  using Overlay = absl::flat_hash_map<std::string, NodeView>;

  NodeView Lookup(const DataTree& tree, const Overlay& scratch, const std::string& path) const;

  // Each validates one op and, on success, records its effect in scratch and
  // fills the txn body. Errors are ZooKeeper errors (ZkError).
  absl::Status PrepareCreate(const DataTree& tree, Overlay& scratch, int64_t session_id,
                             const proto::CreateRequest& req, Zxid zxid, int64_t time_ms,
                             proto::Txn* txn);
  absl::Status PrepareDelete(const DataTree& tree, Overlay& scratch,
                             const proto::DeleteRequest& req, Zxid zxid, proto::Txn* txn);
  absl::Status PrepareSetData(const DataTree& tree, Overlay& scratch,
                              const proto::SetDataRequest& req, Zxid zxid, int64_t time_ms,
                              proto::Txn* txn);
  absl::Status PrepareSetAcl(const DataTree& tree, Overlay& scratch,
                             const proto::SetAclRequest& req, Zxid zxid, proto::Txn* txn);
  absl::Status PrepareCheck(const DataTree& tree, Overlay& scratch,
                            const proto::CheckVersionRequest& req, proto::Txn* txn);
  void PrepareMulti(const DataTree& tree, int64_t session_id, const proto::MultiRequest& req,
                    Zxid zxid, int64_t time_ms, proto::Txn* txn, std::string* error_detail);

  // ZooKeeper's checkQuota, when limits_.enforce_quota: whether adding
  // count_diff nodes and bytes_diff bytes at path stays within the hard limits
  // of its quota, counting prepared but unapplied changes (QUOTA_EXCEEDED).
  // check=false only records the change (deletes are never refused). Records
  // go to scratch_quota_.
  absl::Status CheckQuota(const DataTree& tree, const std::string& path, int64_t count_diff,
                          int64_t bytes_diff, Zxid zxid, bool check);

  // Whether the current request's session may do perm on node (NO_AUTH).
  absl::Status CheckPerm(const NodeView& node, int32_t perm, const std::string& path) const;

  PreparerLimits limits_;
  const std::vector<proto::Id>* auth_ = nullptr;  // of the request being prepared
  Overlay pending_;
  std::vector<QuotaChange> pending_quota_;               // prepared, not yet applied
  std::vector<QuotaChange> scratch_quota_;               // of the request being prepared
  absl::flat_hash_map<int64_t, Zxid> closing_sessions_;  // session -> closeSession zxid
  // session -> createSession zxid, prepared but not applied: live already
  // (a follower may apply it, and answer the connect, before the leader).
  absl::flat_hash_map<int64_t, Zxid> opening_sessions_;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_PREPARER_H_
