#include "server/data_tree.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "server/errors.h"
#include "server/path_util.h"
#include "server/quota.h"

namespace zabkeeper::server {
namespace {

// FNV-1a-style over 64-bit little-endian words (then the tail bytes): deterministic
// across processes and machines (absl::Hash is seeded per process, so it
// cannot be compared between servers), and a word per step rather than a
// byte: a 1 MB setData hashes its node twice per apply.
class Fnv64 {
 public:
  void Add(absl::string_view bytes) {
    size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
      uint64_t word = 0;
      for (int k = 0; k < 8; ++k) {
        word |= uint64_t{static_cast<uint8_t>(bytes[i + k])} << (8 * k);
      }
      Mix(word);
    }
    for (; i < bytes.size(); ++i) Mix(static_cast<uint8_t>(bytes[i]));
  }
  void Add(int64_t v) { Mix(static_cast<uint64_t>(v)); }
  uint64_t value() const { return hash_; }

 private:
  void Mix(uint64_t v) {
    hash_ ^= v;
    hash_ *= 0x100000001b3ULL;
    // A multiply carries bits only upward; fold the high half back down so
    // every input bit reaches every output bit over the following words.
    hash_ ^= hash_ >> 29;
  }
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace

DataTree::DataTree() {
  auto root = std::make_unique<Znode>();
  root->path.push_back('/');  // (not = "/": GCC 12 -Wrestrict false positive)
  Rehash("/", *Insert(std::move(root), nullptr));
  AddSystemNode("/zookeeper");
  AddSystemNode("/zookeeper/config");
  AddSystemNode("/zookeeper/quota");
  // As in ZooKeeper 3.8: the config node is read-only and reports aversion -1.
  Znode* config = FindMutable("/zookeeper/config");
  Unhash("/zookeeper/config", *config);
  config->stat.aversion = -1;
  google::protobuf::RepeatedPtrField<proto::Acl> read_only;
  proto::Acl* acl = read_only.Add();
  acl->set_perms(1);
  acl->mutable_id()->set_scheme("world");
  acl->mutable_id()->set_id("anyone");
  config->acl_id = acls_.Intern(read_only);
  Rehash("/zookeeper/config", *config);
}

void DataTree::AddSystemNode(const std::string& path) {
  Znode* parent = FindMutable(ParentPath(path));
  Unhash(ParentPath(path), *parent);
  auto node = std::make_unique<Znode>();
  node->path = path;
  Rehash(path, *Insert(std::move(node), parent));
  Rehash(ParentPath(path), *parent);
}

Znode* DataTree::Insert(std::unique_ptr<Znode> node, Znode* parent) {
  Znode* raw = node.get();
  nodes_.insert(std::move(node));
  // The view points into raw->path, which lives as long as the znode.
  if (parent != nullptr) parent->children.insert(raw->name());
  return raw;
}

const Znode* DataTree::Find(absl::string_view path) const {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : it->get();
}

Znode* DataTree::FindMutable(absl::string_view path) {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : it->get();
}

std::vector<std::string> DataTree::EphemeralsOf(int64_t session_id) const {
  auto it = ephemerals_.find(session_id);
  if (it == ephemerals_.end()) return {};
  return std::vector<std::string>(it->second.begin(), it->second.end());
}

uint64_t DataTree::HashNode(absl::string_view path, const Znode& node) const {
  Fnv64 h;
  h.Add(path);
  h.Add(static_cast<int64_t>(node.data.size()));
  h.Add(node.data);
  const StatData& s = node.stat;
  for (int64_t v :
       {s.czxid, s.mzxid, s.pzxid, s.ctime, s.mtime, s.ephemeral_owner, int64_t{s.version},
        int64_t{s.cversion}, int64_t{s.aversion}, static_cast<int64_t>(node.children.size()),
        node.ttl_ms, int64_t{node.container}}) {
    h.Add(v);
  }
  return h.value();
}

absl::Status DataTree::CreateNode(const proto::CreateTxn& txn, Zxid zxid, int64_t time_ms,
                                  ChangeSet* changes) {
  const std::string& path = txn.path();
  absl::string_view parent_path = ParentPath(path);
  Znode* parent = FindMutable(parent_path);
  if (parent == nullptr) return ZkError(proto::NO_NODE, absl::StrCat(parent_path));
  if (nodes_.contains(path)) return ZkError(proto::NODE_EXISTS, path);

  auto node = std::make_unique<Znode>();
  node->path = path;
  node->data = txn.data();
  node->stat.czxid = node->stat.mzxid = node->stat.pzxid = StatZxid(zxid);
  node->stat.ctime = node->stat.mtime = time_ms;
  node->stat.ephemeral_owner = txn.ephemeral_owner();
  node->acl_id = acls_.Intern(txn.acl());
  node->container = txn.container();
  node->ttl_ms = txn.ttl_ms();
  const uint32_t acl_id = node->acl_id;

  Unhash(parent_path, *parent);
  Rehash(path, *Insert(std::move(node), parent));
  if (txn.parent_cversion() > parent->stat.cversion) {
    parent->stat.cversion = txn.parent_cversion();
    parent->stat.pzxid = StatZxid(zxid);
  }
  Rehash(parent_path, *parent);

  if (txn.ephemeral_owner() != 0) ephemerals_[txn.ephemeral_owner()].insert(path);
  if (txn.container() || txn.ttl_ms() > 0) expirable_.insert(path);

  changes->events.push_back({proto::NODE_CREATED, path, acl_id});
  changes->events.push_back(
      {proto::NODE_CHILDREN_CHANGED, std::string(parent_path), parent->acl_id});
  changes->dirty_paths.insert(path);
  changes->dirty_paths.insert(std::string(parent_path));
  QuotaAfterCreate(path, static_cast<int64_t>(txn.data().size()), changes);
  return absl::OkStatus();
}

absl::Status DataTree::DeleteNode(absl::string_view path_view, Zxid zxid, ChangeSet* changes) {
  // A copy: the caller's view may point into the znode this frees.
  const std::string path(path_view);
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return ZkError(proto::NO_NODE, path);
  if (!(*it)->children.empty()) return ZkError(proto::NOT_EMPTY, path);
  absl::string_view parent_path = ParentPath(path);
  Znode* parent = FindMutable(parent_path);
  if (parent == nullptr) return ZkError(proto::NO_NODE, parent_path);

  const Znode& node = **it;
  const int64_t bytes = static_cast<int64_t>(node.data.size());
  const uint32_t acl_id = node.acl_id;
  Unhash(path, node);
  if (node.stat.ephemeral_owner != 0) {
    auto eph = ephemerals_.find(node.stat.ephemeral_owner);
    if (eph != ephemerals_.end()) {
      eph->second.erase(std::string(path));
      if (eph->second.empty()) ephemerals_.erase(eph);
    }
  }
  Unhash(parent_path, *parent);
  parent->children.erase(node.name());  // before the znode (and its name) goes
  // The stored cversion counts creates only (it names sequential children);
  // the reported one moves anyway because numChildren drops (Znode::FillStat).
  parent->stat.pzxid = std::max(parent->stat.pzxid, StatZxid(zxid));
  Rehash(parent_path, *parent);

  std::string owned_path(path);
  std::string owned_parent(parent_path);
  if (node.container || node.ttl_ms > 0) expirable_.erase(owned_path);
  nodes_.erase(it);
  changes->events.push_back({proto::NODE_DELETED, owned_path, acl_id});
  changes->events.push_back({proto::NODE_CHILDREN_CHANGED, owned_parent, parent->acl_id});
  changes->dirty_paths.insert(owned_path);
  changes->dirty_paths.insert(std::move(owned_parent));
  QuotaAfterDelete(owned_path, bytes, changes);
  return absl::OkStatus();
}

absl::Status DataTree::SetData(const proto::SetDataTxn& txn, Zxid zxid, int64_t time_ms,
                               ChangeSet* changes) {
  Znode* node = FindMutable(txn.path());
  if (node == nullptr) return ZkError(proto::NO_NODE, txn.path());
  const int64_t bytes_diff =
      static_cast<int64_t>(txn.data().size()) - static_cast<int64_t>(node->data.size());
  Unhash(txn.path(), *node);
  node->data = txn.data();
  node->stat.version = txn.version();
  node->stat.mzxid = StatZxid(zxid);
  node->stat.mtime = time_ms;
  Rehash(txn.path(), *node);
  changes->events.push_back({proto::NODE_DATA_CHANGED, txn.path(), node->acl_id});
  changes->dirty_paths.insert(txn.path());
  if (bytes_diff != 0) {
    if (std::string quota_path = QuotaPathOf(txn.path()); !quota_path.empty()) {
      UpdateQuotaStats(quota_path, 0, bytes_diff, changes);
    }
  }
  return absl::OkStatus();
}

absl::Status DataTree::SetAcl(const proto::SetAclTxn& txn, ChangeSet* changes) {
  Znode* node = FindMutable(txn.path());
  if (node == nullptr) return ZkError(proto::NO_NODE, txn.path());
  Unhash(txn.path(), *node);
  node->acl_id = acls_.Intern(txn.acl());
  node->stat.aversion = txn.version();
  Rehash(txn.path(), *node);
  changes->dirty_paths.insert(txn.path());
  return absl::OkStatus();
}

proto::ZnodeRecord DataTree::ToRecord(const Znode& node) const {
  proto::ZnodeRecord record;
  record.set_data(node.data);
  node.FillStoredStat(record.mutable_stat());
  acls_.CopyTo(node.acl_id, record.mutable_acl());
  record.set_container(node.container);
  record.set_ttl_ms(node.ttl_ms);
  return record;
}

absl::Status DataTree::LoadNode(const std::string& path, const proto::ZnodeRecord& record) {
  if (absl::Status s = ValidatePath(path); !s.ok()) return s;
  Znode* node = FindMutable(path);
  if (node == nullptr) {
    absl::string_view parent_path = ParentPath(path);
    Znode* parent = FindMutable(parent_path);
    if (parent == nullptr) {
      return absl::DataLossError(absl::StrCat("stored znode ", path, " has no parent"));
    }
    Unhash(parent_path, *parent);
    auto fresh = std::make_unique<Znode>();
    fresh->path = path;
    node = Insert(std::move(fresh), parent);
    Rehash(parent_path, *parent);
  } else {
    Unhash(path, *node);
  }
  const proto::Stat& s = record.stat();
  node->data = record.data();
  node->stat = StatData{s.czxid(),           s.mzxid(),   s.pzxid(),    s.ctime(),   s.mtime(),
                        s.ephemeral_owner(), s.version(), s.cversion(), s.aversion()};
  node->acl_id = acls_.Intern(record.acl());
  node->container = record.container();
  node->ttl_ms = record.ttl_ms();
  if (s.ephemeral_owner() != 0) ephemerals_[s.ephemeral_owner()].insert(path);
  if (node->container || node->ttl_ms > 0) expirable_.insert(path);
  Rehash(path, *node);
  // Stats nodes are stored as maintained; only the set of quotas is derived.
  absl::string_view parent_path = ParentPath(path);
  if (BaseName(path) == kQuotaLimitNode && absl::StartsWith(parent_path, "/zookeeper/quota/")) {
    quota_paths_.insert(std::string(parent_path.substr(kQuotaRoot.size())));
  }
  return absl::OkStatus();
}

std::string DataTree::QuotaPathOf(absl::string_view path) const {
  if (quota_paths_.empty()) return "";
  for (absl::string_view prefix = path; prefix.size() > 1; prefix = ParentPath(prefix)) {
    if (quota_paths_.contains(prefix)) return std::string(prefix);
  }
  return "";
}

void DataTree::QuotaAfterCreate(const std::string& path, int64_t bytes, ChangeSet* changes) {
  absl::string_view parent_path = ParentPath(path);
  if (absl::StartsWith(parent_path, "/zookeeper/quota/")) {
    std::string quota_path(parent_path.substr(kQuotaRoot.size()));
    if (BaseName(path) == kQuotaLimitNode) quota_paths_.insert(quota_path);
    if (BaseName(path) == kQuotaStatNode) RecomputeQuotaStats(quota_path, changes);
  }
  if (std::string quota_path = QuotaPathOf(path); !quota_path.empty()) {
    UpdateQuotaStats(quota_path, 1, bytes, changes);
  }
}

void DataTree::QuotaAfterDelete(const std::string& path, int64_t bytes, ChangeSet* changes) {
  absl::string_view parent_path = ParentPath(path);
  if (BaseName(path) == kQuotaLimitNode && absl::StartsWith(parent_path, "/zookeeper/quota/")) {
    quota_paths_.erase(std::string(parent_path.substr(kQuotaRoot.size())));
  }
  if (std::string quota_path = QuotaPathOf(path); !quota_path.empty()) {
    UpdateQuotaStats(quota_path, -1, -bytes, changes);
  }
}

void DataTree::UpdateQuotaStats(const std::string& quota_path, int64_t count_diff,
                                int64_t bytes_diff, ChangeSet* changes) {
  const std::string stat_path = QuotaStatPath(quota_path);
  Znode* stat = FindMutable(stat_path);
  if (stat == nullptr) {
    LOG(WARNING) << "missing quota stats node " << stat_path;
    return;
  }
  // Like ZooKeeper, only the data changes: the stats node keeps its version
  // and mzxid, and no watch fires.
  const StatsTrack current = ParseStatsTrack(stat->data);
  const int64_t count = current.count + count_diff;
  const int64_t bytes = current.bytes + bytes_diff;
  Unhash(stat_path, *stat);
  stat->data = FormatStats(count, bytes);
  Rehash(stat_path, *stat);
  changes->dirty_paths.insert(stat_path);

  const Znode* limit_node = Find(QuotaLimitPath(quota_path));
  if (limit_node == nullptr) return;
  const StatsTrack limits = ParseStatsTrack(limit_node->data);
  if (limits.count > -1 && count > limits.count) {
    LOG_EVERY_N(WARNING, 100) << "Quota exceeded: " << quota_path << " count=" << count
                              << " limit=" << limits.count;
  }
  if (limits.bytes > -1 && bytes > limits.bytes) {
    LOG_EVERY_N(WARNING, 100) << "Quota exceeded: " << quota_path << " bytes=" << bytes
                              << " limit=" << limits.bytes;
  }
}

void DataTree::RecomputeQuotaStats(const std::string& quota_path, ChangeSet* changes) {
  int64_t count = 0;
  int64_t bytes = 0;
  std::vector<std::string> stack;
  if (Find(quota_path) != nullptr) stack.push_back(quota_path);
  while (!stack.empty()) {
    std::string path = std::move(stack.back());
    stack.pop_back();
    const Znode* node = Find(path);
    if (node == nullptr) continue;
    ++count;
    bytes += static_cast<int64_t>(node->data.size());
    for (absl::string_view child : node->children) stack.push_back(JoinPath(path, child));
  }
  const std::string stat_path = QuotaStatPath(quota_path);
  Znode* stat = FindMutable(stat_path);
  if (stat == nullptr) return;
  Unhash(stat_path, *stat);
  stat->data = FormatStats(count, bytes);
  Rehash(stat_path, *stat);
  changes->dirty_paths.insert(stat_path);
}

void DataTree::ForEach(const std::function<void(const std::string&, const Znode&)>& fn) const {
  // Depth first from "/", children in name order: no sort of the whole tree
  // (sorting 1M paths took most of a snapshot's build time).
  std::vector<const Znode*> stack = {Find("/")};
  std::string child_path;
  while (!stack.empty()) {
    const Znode* node = stack.back();
    stack.pop_back();
    fn(node->path, *node);
    for (auto it = node->children.rbegin(); it != node->children.rend(); ++it) {
      child_path = JoinPath(node->path, *it);
      const Znode* child = Find(child_path);
      CHECK(child != nullptr) << "child " << child_path << " missing from the index";
      stack.push_back(child);
    }
  }
}

}  // namespace zabkeeper::server
