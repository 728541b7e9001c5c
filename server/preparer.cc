#include "server/preparer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/auth.h"
#include "server/errors.h"
#include "server/path_util.h"
#include "server/quota.h"
#include "server/request_util.h"

namespace zabkeeper::server {
namespace {

bool IsSequential(proto::CreateMode mode) {
  return mode == proto::PERSISTENT_SEQUENTIAL || mode == proto::EPHEMERAL_SEQUENTIAL ||
         mode == proto::PERSISTENT_SEQUENTIAL_WITH_TTL;
}

bool IsEphemeral(proto::CreateMode mode) {
  return mode == proto::EPHEMERAL || mode == proto::EPHEMERAL_SEQUENTIAL;
}

bool IsTtl(proto::CreateMode mode) {
  return mode == proto::PERSISTENT_WITH_TTL || mode == proto::PERSISTENT_SEQUENTIAL_WITH_TTL;
}

absl::Status CheckVersion(int32_t expected, int32_t current, const std::string& path) {
  if (expected != -1 && expected != current) {
    return ZkError(proto::BAD_VERSION,
                   absl::StrCat(path, ": expected version ", expected, ", node has ", current));
  }
  return absl::OkStatus();
}

absl::Status ValidateAcl(const google::protobuf::RepeatedPtrField<proto::Acl>& acl) {
  if (acl.empty()) return ZkError(proto::INVALID_ACL, "empty ACL list");
  for (const proto::Acl& a : acl) {
    if (a.perms() < 0 || a.perms() > 31) {
      return ZkError(proto::INVALID_ACL, absl::StrCat("invalid perms ", a.perms()));
    }
    const std::string& scheme = a.id().scheme();
    if (scheme != "world" && scheme != "auth" && scheme != "digest" && scheme != "ip" &&
        scheme != "x509" && scheme != "sasl" && scheme != "super") {
      return ZkError(proto::INVALID_ACL, absl::StrCat("unknown ACL scheme '", scheme, "'"));
    }
    if (scheme == "world" && a.id().id() != "anyone") {
      return ZkError(proto::INVALID_ACL, "world scheme only has the id 'anyone'");
    }
  }
  return absl::OkStatus();
}

void SetErrorTxn(proto::ErrorCode code, proto::Txn* txn) { txn->mutable_error()->set_err(code); }

}  // namespace

Preparer::NodeView Preparer::Lookup(const DataTree& tree, const Overlay& scratch,
                                    const std::string& path) const {
  if (auto it = scratch.find(path); it != scratch.end()) return it->second;
  if (auto it = pending_.find(path); it != pending_.end()) return it->second;
  NodeView view;
  if (const Znode* node = tree.Find(path)) {
    view.exists = true;
    view.stat = node->stat;
    view.num_children = static_cast<int32_t>(node->children.size());
    view.container = node->container;
    view.acl = tree.acls().Get(node->acl_id);
    view.ttl_ms = node->ttl_ms;
    view.data_length = static_cast<int64_t>(node->data.size());
  }
  return view;
}

proto::Txn Preparer::Prepare(const DataTree& tree, int64_t session_id,
                             const proto::Request& request, Zxid zxid, int64_t time_ms,
                             std::string* error_detail, const std::vector<proto::Id>* auth) {
  auth_ = auth;
  proto::Txn txn;
  txn.set_session_id(session_id);
  txn.set_cxid(request.xid());
  txn.set_time_ms(time_ms);
  Overlay scratch;
  scratch_quota_.clear();
  absl::Status status;
  switch (request.body_case()) {
    case proto::Request::kCreate:
      status = PrepareCreate(tree, scratch, session_id, request.create(), zxid, time_ms, &txn);
      break;
    case proto::Request::kDelete:
      status = PrepareDelete(tree, scratch, request.delete_(), zxid, &txn);
      break;
    case proto::Request::kSetData:
      status = PrepareSetData(tree, scratch, request.set_data(), zxid, time_ms, &txn);
      break;
    case proto::Request::kSetAcl:
      status = PrepareSetAcl(tree, scratch, request.set_acl(), zxid, &txn);
      break;
    case proto::Request::kMulti:
      PrepareMulti(tree, session_id, request.multi(), zxid, time_ms, &txn, error_detail);
      return txn;
    default:
      status = ZkError(proto::UNIMPLEMENTED, "not a write request");
      break;
  }
  if (!status.ok()) {
    txn.clear_body();
    SetErrorTxn(ErrorCodeOf(status), &txn);
    *error_detail = std::string(status.message());
    return txn;
  }
  for (auto& [path, view] : scratch) pending_[path] = view;
  for (QuotaChange& change : scratch_quota_) pending_quota_.push_back(std::move(change));
  return txn;
}

absl::Status Preparer::PrepareCreate(const DataTree& tree, Overlay& scratch, int64_t session_id,
                                     const proto::CreateRequest& req, Zxid zxid, int64_t time_ms,
                                     proto::Txn* txn) {
  const proto::CreateMode mode = req.mode();
  if (!proto::CreateMode_IsValid(mode)) {
    return ZkError(proto::BAD_ARGUMENTS, absl::StrCat("unknown create mode ", mode));
  }
  const bool sequential = IsSequential(mode);
  if (absl::Status s = sequential ? ValidateSequentialPrefix(req.path()) : ValidatePath(req.path());
      !s.ok()) {
    return s;
  }
  // A sequential create of "/" names a root child ("/0000000008"), as in ZooKeeper.
  if (req.path() == "/" && !sequential) return ZkError(proto::NODE_EXISTS, "/");
  if (IsTtl(mode)) {
    if (!limits_.extended_types_enabled) {
      return ZkError(proto::UNIMPLEMENTED, "TTL nodes are disabled (extendedTypesEnabled)");
    }
    if (req.ttl_ms() <= 0 || req.ttl_ms() > limits_.max_ttl_ms) {
      return ZkError(proto::BAD_ARGUMENTS, absl::StrCat("ttl ", req.ttl_ms(), " out of range"));
    }
  } else if (req.ttl_ms() != 0) {
    return ZkError(proto::BAD_ARGUMENTS, "ttl given for a mode without TTL");
  }
  if (req.data().size() > limits_.max_data_bytes) {
    return ZkError(proto::BAD_ARGUMENTS,
                   absl::StrCat("data length ", req.data().size(), " exceeds the maximum of ",
                                limits_.max_data_bytes, " bytes"));
  }
  google::protobuf::RepeatedPtrField<proto::Acl> acl = req.acl();
  if (absl::Status s = auth_ ? FixupAcl(&acl, *auth_) : ValidateAcl(acl); !s.ok()) return s;
  if (IsEphemeral(mode) && closing_sessions_.contains(session_id)) {
    return ZkError(proto::SESSION_EXPIRED, "session is closing");
  }

  const std::string parent_path(req.path() == "/" ? "/" : ParentPath(req.path()));
  NodeView parent = Lookup(tree, scratch, parent_path);
  if (!parent.exists) return ZkError(proto::NO_NODE, absl::StrCat("parent ", parent_path));
  if (absl::Status s = CheckPerm(parent, kPermCreate, parent_path); !s.ok()) return s;
  std::string path = req.path();
  if (sequential) absl::StrAppend(&path, absl::StrFormat("%010d", parent.stat.cversion));
  if (absl::Status s = ValidatePath(path); !s.ok()) return s;
  if (Lookup(tree, scratch, path).exists) return ZkError(proto::NODE_EXISTS, path);
  if (parent.stat.ephemeral_owner != 0) {
    return ZkError(proto::NO_CHILDREN_FOR_EPHEMERALS, parent_path);
  }
  if (absl::Status s = CheckQuota(tree, path, 1, static_cast<int64_t>(req.data().size()), zxid,
                                  /*check=*/true);
      !s.ok()) {
    return s;
  }

  const int32_t new_cversion = parent.stat.cversion + 1;
  proto::CreateTxn* create = txn->mutable_create();
  create->set_path(path);
  create->set_data(req.data());
  *create->mutable_acl() = acl;
  create->set_ephemeral_owner(IsEphemeral(mode) ? session_id : 0);
  create->set_parent_cversion(new_cversion);
  create->set_container(mode == proto::CONTAINER);
  create->set_ttl_ms(IsTtl(mode) ? req.ttl_ms() : 0);

  parent.stat.cversion = new_cversion;
  parent.stat.pzxid = StatZxid(zxid);
  parent.num_children++;
  parent.zxid = zxid;
  scratch[parent_path] = parent;
  NodeView child;
  child.exists = true;
  child.stat.czxid = child.stat.mzxid = child.stat.pzxid = StatZxid(zxid);
  child.stat.ctime = child.stat.mtime = time_ms;
  child.stat.ephemeral_owner = create->ephemeral_owner();
  child.container = create->container();
  child.ttl_ms = create->ttl_ms();
  child.data_length = static_cast<int64_t>(req.data().size());
  child.acl.assign(acl.begin(), acl.end());
  child.zxid = zxid;
  scratch[path] = child;
  return absl::OkStatus();
}

absl::Status Preparer::PrepareDelete(const DataTree& tree, Overlay& scratch,
                                     const proto::DeleteRequest& req, Zxid zxid, proto::Txn* txn) {
  if (absl::Status s = ValidatePath(req.path()); !s.ok()) return s;
  if (req.path() == "/" || req.path() == "/zookeeper" || req.path() == "/zookeeper/config" ||
      req.path() == "/zookeeper/quota") {
    return ZkError(proto::BAD_ARGUMENTS, absl::StrCat("cannot delete system node ", req.path()));
  }
  const std::string parent_path(ParentPath(req.path()));
  NodeView parent = Lookup(tree, scratch, parent_path);
  NodeView node = Lookup(tree, scratch, req.path());
  if (!parent.exists || !node.exists) return ZkError(proto::NO_NODE, req.path());
  if (absl::Status s = CheckPerm(parent, kPermDelete, parent_path); !s.ok()) return s;
  if (absl::Status s = CheckVersion(req.version(), node.stat.version, req.path()); !s.ok()) {
    return s;
  }
  if (node.num_children > 0) return ZkError(proto::NOT_EMPTY, req.path());
  (void)CheckQuota(tree, req.path(), -1, -node.data_length, zxid, /*check=*/false);

  txn->mutable_delete_()->set_path(req.path());
  parent.num_children--;
  parent.stat.pzxid = StatZxid(zxid);
  parent.zxid = zxid;
  scratch[parent_path] = parent;
  NodeView gone;
  gone.zxid = zxid;
  scratch[req.path()] = gone;
  return absl::OkStatus();
}

absl::Status Preparer::PrepareSetData(const DataTree& tree, Overlay& scratch,
                                      const proto::SetDataRequest& req, Zxid zxid, int64_t time_ms,
                                      proto::Txn* txn) {
  if (absl::Status s = ValidatePath(req.path()); !s.ok()) return s;
  if (req.data().size() > limits_.max_data_bytes) {
    return ZkError(proto::BAD_ARGUMENTS,
                   absl::StrCat("data length ", req.data().size(), " exceeds the maximum of ",
                                limits_.max_data_bytes, " bytes"));
  }
  NodeView node = Lookup(tree, scratch, req.path());
  if (!node.exists) return ZkError(proto::NO_NODE, req.path());
  if (absl::Status s = CheckPerm(node, kPermWrite, req.path()); !s.ok()) return s;
  if (absl::Status s = CheckVersion(req.version(), node.stat.version, req.path()); !s.ok()) {
    return s;
  }
  const int64_t new_length = static_cast<int64_t>(req.data().size());
  if (absl::Status s =
          CheckQuota(tree, req.path(), 0, new_length - node.data_length, zxid, /*check=*/true);
      !s.ok()) {
    return s;
  }
  const int32_t new_version = node.stat.version + 1;
  proto::SetDataTxn* set = txn->mutable_set_data();
  set->set_path(req.path());
  set->set_data(req.data());
  set->set_version(new_version);
  node.stat.version = new_version;
  node.stat.mzxid = StatZxid(zxid);
  node.stat.mtime = time_ms;
  node.data_length = new_length;
  node.zxid = zxid;
  scratch[req.path()] = node;
  return absl::OkStatus();
}

absl::Status Preparer::PrepareSetAcl(const DataTree& tree, Overlay& scratch,
                                     const proto::SetAclRequest& req, Zxid zxid, proto::Txn* txn) {
  if (absl::Status s = ValidatePath(req.path()); !s.ok()) return s;
  google::protobuf::RepeatedPtrField<proto::Acl> acl = req.acl();
  if (absl::Status s = auth_ ? FixupAcl(&acl, *auth_) : ValidateAcl(acl); !s.ok()) return s;
  NodeView node = Lookup(tree, scratch, req.path());
  if (!node.exists) return ZkError(proto::NO_NODE, req.path());
  if (absl::Status s = CheckPerm(node, kPermAdmin, req.path()); !s.ok()) return s;
  if (absl::Status s = CheckVersion(req.version(), node.stat.aversion, req.path()); !s.ok()) {
    return s;
  }
  const int32_t new_aversion = node.stat.aversion + 1;
  proto::SetAclTxn* set = txn->mutable_set_acl();
  set->set_path(req.path());
  *set->mutable_acl() = acl;
  set->set_version(new_aversion);
  node.stat.aversion = new_aversion;
  node.acl.assign(acl.begin(), acl.end());
  node.zxid = zxid;
  scratch[req.path()] = node;
  return absl::OkStatus();
}

absl::Status Preparer::PrepareCheck(const DataTree& tree, Overlay& scratch,
                                    const proto::CheckVersionRequest& req, proto::Txn* txn) {
  if (absl::Status s = ValidatePath(req.path()); !s.ok()) return s;
  NodeView node = Lookup(tree, scratch, req.path());
  if (!node.exists) return ZkError(proto::NO_NODE, req.path());
  if (absl::Status s = CheckPerm(node, kPermRead, req.path()); !s.ok()) return s;
  if (absl::Status s = CheckVersion(req.version(), node.stat.version, req.path()); !s.ok()) {
    return s;
  }
  txn->mutable_check()->set_path(req.path());
  txn->mutable_check()->set_version(req.version());
  return absl::OkStatus();
}

void Preparer::PrepareMulti(const DataTree& tree, int64_t session_id,
                            const proto::MultiRequest& req, Zxid zxid, int64_t time_ms,
                            proto::Txn* txn, std::string* error_detail) {
  // Ops see each other's effects through one scratch overlay; nothing reaches
  // pending_ unless every op succeeds (all or nothing).
  Overlay scratch;
  scratch_quota_.clear();
  proto::MultiTxn* multi = txn->mutable_multi();
  int failed_at = -1;
  proto::ErrorCode failed_code = proto::OK;
  for (int i = 0; i < req.ops_size(); ++i) {
    const proto::Op& op = req.ops(i);
    proto::Txn* sub = multi->add_txns();
    absl::Status status;
    switch (op.op_case()) {
      case proto::Op::kCreate:
        status = PrepareCreate(tree, scratch, session_id, op.create(), zxid, time_ms, sub);
        break;
      case proto::Op::kDelete:
        status = PrepareDelete(tree, scratch, op.delete_(), zxid, sub);
        break;
      case proto::Op::kSetData:
        status = PrepareSetData(tree, scratch, op.set_data(), zxid, time_ms, sub);
        break;
      case proto::Op::kCheck:
        status = PrepareCheck(tree, scratch, op.check(), sub);
        break;
      case proto::Op::OP_NOT_SET:
        status = ZkError(proto::UNIMPLEMENTED, "multi op without a body");
        break;
    }
    if (!status.ok()) {
      failed_at = i;
      failed_code = ErrorCodeOf(status);
      *error_detail = absl::StrCat("op ", i, ": ", status.message());
      break;
    }
  }
  if (failed_at < 0) {
    for (auto& [path, view] : scratch) pending_[path] = view;
    for (QuotaChange& change : scratch_quota_) pending_quota_.push_back(std::move(change));
    return;
  }
  // ZooKeeper reports a failed multi op by op: OK before the failing op, its
  // error at it, RUNTIME_INCONSISTENCY after it; nothing is applied.
  multi->clear_txns();
  for (int i = 0; i < req.ops_size(); ++i) {
    proto::ErrorCode code = i < failed_at    ? proto::OK
                            : i == failed_at ? failed_code
                                             : proto::RUNTIME_INCONSISTENCY;
    SetErrorTxn(code, multi->add_txns());
  }
}

absl::Status Preparer::CheckQuota(const DataTree& tree, const std::string& path, int64_t count_diff,
                                  int64_t bytes_diff, Zxid zxid, bool check) {
  if (!limits_.enforce_quota) return absl::OkStatus();
  std::string quota_path = tree.QuotaPathOf(path);
  if (quota_path.empty()) return absl::OkStatus();
  if (check) {
    const Znode* limit_node = tree.Find(QuotaLimitPath(quota_path));
    const Znode* stat_node = tree.Find(QuotaStatPath(quota_path));
    if (limit_node != nullptr && stat_node != nullptr) {
      const StatsTrack limits = ParseStatsTrack(limit_node->data);
      const StatsTrack stats = ParseStatsTrack(stat_node->data);
      int64_t count = stats.count + count_diff;
      int64_t bytes = stats.bytes + bytes_diff;
      for (const std::vector<QuotaChange>* changes : {&pending_quota_, &scratch_quota_}) {
        for (const QuotaChange& change : *changes) {
          if (change.quota_path != quota_path) continue;
          count += change.count;
          bytes += change.bytes;
        }
      }
      // As ZooKeeper: a dimension is checked when the op changes it, and
      // only its hard limit refuses (the soft one is logged at apply).
      if (count_diff != 0 && limits.count_hard > -1 && count > limits.count_hard) {
        return ZkError(proto::QUOTA_EXCEEDED,
                       absl::StrCat("Quota exceeded: ", quota_path, " [current count=", count,
                                    ", hardCountLimit=", limits.count_hard, "]"));
      }
      if (bytes_diff != 0 && limits.bytes_hard > -1 && bytes > limits.bytes_hard) {
        return ZkError(proto::QUOTA_EXCEEDED,
                       absl::StrCat("Quota exceeded: ", quota_path, " [current bytes=", bytes,
                                    ", hardByteLimit=", limits.bytes_hard, "]"));
      }
    }
  }
  scratch_quota_.push_back({zxid, std::move(quota_path), count_diff, bytes_diff});
  return absl::OkStatus();
}

absl::Status Preparer::CheckPerm(const NodeView& node, int32_t perm,
                                 const std::string& path) const {
  if (auth_ == nullptr || CheckAcl(node.acl, perm, *auth_, limits_.super_digest)) {
    return absl::OkStatus();
  }
  return ZkError(proto::NO_AUTH, absl::StrCat("not authorized for ", path));
}

proto::Txn Preparer::PrepareCreateSession(int64_t session_id, int32_t timeout_ms,
                                          const std::string& password, int64_t time_ms) {
  proto::Txn txn;
  txn.set_session_id(session_id);
  txn.set_time_ms(time_ms);
  txn.mutable_create_session()->set_timeout_ms(timeout_ms);
  txn.mutable_create_session()->set_password(password);
  return txn;
}

proto::Txn Preparer::PrepareCloseSession(const DataTree& tree, int64_t session_id, Zxid zxid,
                                         int64_t time_ms) {
  proto::Txn txn;
  txn.set_session_id(session_id);
  txn.set_time_ms(time_ms);
  txn.mutable_close_session();  // the body, even when there is nothing to delete
  absl::btree_set<std::string> paths;
  for (const std::string& path : tree.EphemeralsOf(session_id)) paths.insert(path);
  for (const auto& [path, view] : pending_) {
    if (view.exists && view.stat.ephemeral_owner == session_id) paths.insert(path);
    if (!view.exists) paths.erase(path);
  }
  // Deepest first is not needed (ephemerals have no children), but a stable
  // order keeps every server's apply identical.
  for (const std::string& path : paths) {
    txn.mutable_close_session()->add_paths_to_delete(path);
    const std::string parent_path(ParentPath(path));
    Overlay none;
    NodeView parent = Lookup(tree, none, parent_path);
    if (parent.exists) {
      parent.num_children--;
      parent.stat.pzxid = StatZxid(zxid);
      parent.zxid = zxid;
      pending_[parent_path] = parent;
    }
    NodeView gone;
    gone.zxid = zxid;
    pending_[path] = gone;
  }
  closing_sessions_[session_id] = zxid;
  return txn;
}

void Preparer::Applied(Zxid zxid) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.zxid <= zxid) {
      pending_.erase(it++);
    } else {
      ++it;
    }
  }
  absl::erase_if(closing_sessions_, [zxid](const auto& kv) { return kv.second <= zxid; });
  absl::erase_if(opening_sessions_, [zxid](const auto& kv) { return kv.second <= zxid; });
  std::erase_if(pending_quota_, [zxid](const QuotaChange& c) { return c.zxid <= zxid; });
}

void Preparer::Reset() {
  pending_.clear();
  pending_quota_.clear();
  closing_sessions_.clear();
  opening_sessions_.clear();
}

proto::Txn Preparer::PrepareWrite(const DataTree& tree, const WriteRequest& write, Zxid zxid,
                                  int64_t now, bool session_live) {
  // A refused write still takes its zxid: an error txn answers the client.
  auto refused = [&](proto::ErrorCode code, const char* detail) {
    proto::Txn txn;
    txn.set_session_id(write.session_id);
    txn.set_cxid(write.request.xid());
    txn.set_time_ms(now);
    SetErrorTxn(code, &txn);
    txn.mutable_error()->set_detail(detail);
    return txn;
  };
  if (write.local_session && CreatesEphemeral(write.request)) {
    // Its server upgrades such a session first; one that got here anyway
    // would leave an ephemeral no closeSession ever deletes.
    return refused(proto::EPHEMERAL_ON_LOCAL_SESSION, "a local session cannot own ephemeral nodes");
  }
  session_live =
      session_live || write.local_session || opening_sessions_.contains(write.session_id);
  if ((!session_live || closing_sessions_.contains(write.session_id)) && !write.internal &&
      !write.request.has_connect()) {
    // ZooKeeper's checkSession: the session is gone or closing (closed or
    // expired, maybe while this request was on its way from a follower).
    // Preparing it anyway could create ephemerals that no closeSession will
    // ever delete.
    return refused(proto::SESSION_EXPIRED, "session expired or closed");
  }
  if (write.expire || write.request.has_close()) {
    proto::Txn txn = PrepareCloseSession(tree, write.session_id, zxid, now);
    txn.set_cxid(write.request.xid());
    txn.mutable_close_session()->set_expired(write.expire);
    return txn;
  }
  if (write.request.has_connect()) {
    const proto::ConnectRequest& c = write.request.connect();
    proto::Txn txn = PrepareCreateSession(write.session_id, c.timeout_ms(), c.password(), now);
    txn.set_cxid(write.request.xid());
    opening_sessions_[write.session_id] = zxid;
    return txn;
  }
  std::string detail;
  proto::Txn txn = Prepare(tree, write.session_id, write.request, zxid, now, &detail,
                           write.internal ? nullptr : &write.auth);
  if (txn.has_error() && !detail.empty()) txn.mutable_error()->set_detail(detail);
  if (txn.has_multi() && !detail.empty()) {
    for (proto::Txn& sub : *txn.mutable_multi()->mutable_txns()) {
      if (sub.has_error() && sub.error().err() != proto::OK &&
          sub.error().err() != proto::RUNTIME_INCONSISTENCY) {
        sub.mutable_error()->set_detail(detail);
      }
    }
  }
  return txn;
}

}  // namespace zabkeeper::server
