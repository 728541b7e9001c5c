#include "client/quota.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/errors.h"
#include "client/paths.h"
#include "client/zk_client.h"

namespace zk {
namespace {

// A create that may find the node already there.
absl::Status CreateIfMissing(ZkClient& client, const std::string& path, std::string data) {
  absl::StatusOr<std::string> r = client.Create(path, std::move(data));
  if (!r.ok() && !IsNodeExists(r.status())) return r.status();
  return absl::OkStatus();
}

// ZooKeeper's checkIfChildQuota: a limits node anywhere below the quota
// node of path (other than path's own).
absl::Status CheckNoChildQuota(ZkClient& client, const std::string& path) {
  const std::string own = absl::StrCat(kQuotaPath, path);
  std::vector<std::string> stack = {own};
  while (!stack.empty()) {
    std::string node = std::move(stack.back());
    stack.pop_back();
    absl::StatusOr<ChildrenResult> children = client.GetChildren(node);
    if (IsNoNode(children.status())) continue;
    if (!children.ok()) return children.status();
    for (const std::string& child : children->children) {
      if (node != own && child == kQuotaLimitNode) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, " has a child ", node.substr(kQuotaPath.size()), " which has a quota"));
      }
      stack.push_back(JoinPath(node, child));
    }
  }
  return absl::OkStatus();
}

// ZooKeeper's checkIfParentQuota: a limits node at any proper ancestor.
absl::Status CheckNoParentQuota(ZkClient& client, const std::string& path) {
  std::string quota_path(kQuotaPath);
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    absl::StrAppend(&quota_path, "/", parts[i]);
    absl::StatusOr<std::optional<Stat>> limits =
        client.Exists(absl::StrCat(quota_path, "/", kQuotaLimitNode));
    if (!limits.ok()) return limits.status();
    if (limits->has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, " has a parent ", quota_path.substr(kQuotaPath.size()), " which has a quota"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

StatsTrack StatsTrack::Parse(absl::string_view data) {
  StatsTrack st;
  for (absl::string_view pair : absl::StrSplit(data, ',', absl::SkipEmpty())) {
    size_t eq = pair.find('=');
    if (eq == absl::string_view::npos) continue;
    int64_t value = 0;
    if (!absl::SimpleAtoi(pair.substr(eq + 1), &value)) continue;
    st.values_[std::string(pair.substr(0, eq))] = value;
  }
  return st;
}

int64_t StatsTrack::Get(const std::string& key) const {
  auto it = values_.find(key);
  return it == values_.end() ? -1 : it->second;
}

std::string StatsTrack::ToString() const {
  std::string out = absl::StrCat("count=", count(), ",bytes=", bytes());
  for (const auto& [key, value] : values_) {
    if (key == "count" || key == "bytes") continue;
    absl::StrAppend(&out, ",", key, "=", value);
  }
  return out;
}

std::string QuotaLimitPath(absl::string_view path) {
  return absl::StrCat(kQuotaPath, path == "/" ? "" : path, "/", kQuotaLimitNode);
}

std::string QuotaStatPath(absl::string_view path) {
  return absl::StrCat(kQuotaPath, path == "/" ? "" : path, "/", kQuotaStatNode);
}

absl::Status SetQuota(ZkClient& client, const std::string& path, const StatsTrack& quota) {
  if (absl::Status s = ValidatePath(path); !s.ok()) return s;
  if (path == "/" || absl::StartsWith(path, kQuotaPath)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot set a quota under the path ", kQuotaPath));
  }
  absl::StatusOr<std::optional<Stat>> exists = client.Exists(path);
  if (!exists.ok()) return exists.status();
  if (!exists->has_value()) return ZkError(proto::NO_NODE, absl::StrCat(path, " does not exist."));
  if (absl::Status s = CheckNoChildQuota(client, path); !s.ok()) return s;
  if (absl::Status s = CheckNoParentQuota(client, path); !s.ok()) return s;

  std::string quota_path(kQuotaPath);
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    absl::StrAppend(&quota_path, "/", part);
    if (absl::Status s = CreateIfMissing(client, quota_path, ""); !s.ok()) return s;
  }
  const std::string limit_path = QuotaLimitPath(path);
  absl::StatusOr<DataResult> current = client.GetData(limit_path);
  if (IsNoNode(current.status())) {
    StatsTrack limits;
    limits.set_count(quota.count());
    limits.set_bytes(quota.bytes());
    limits.set_count_hard_limit(quota.count_hard_limit());
    limits.set_byte_hard_limit(quota.byte_hard_limit());
    absl::StatusOr<std::string> created = client.Create(limit_path, limits.ToString());
    if (!created.ok()) return created.status();
    StatsTrack stats;
    stats.set_count(0);
    stats.set_bytes(0);
    // The server fills the stats from the current subtree as it applies this.
    return CreateIfMissing(client, QuotaStatPath(path), stats.ToString());
  }
  if (!current.ok()) return current.status();
  StatsTrack limits = StatsTrack::Parse(current->data);
  if (quota.count() > -1) limits.set_count(quota.count());
  if (quota.bytes() > -1) limits.set_bytes(quota.bytes());
  if (quota.count_hard_limit() > -1) limits.set_count_hard_limit(quota.count_hard_limit());
  if (quota.byte_hard_limit() > -1) limits.set_byte_hard_limit(quota.byte_hard_limit());
  absl::StatusOr<Stat> set = client.SetData(limit_path, limits.ToString());
  return set.status();
}

absl::StatusOr<QuotaInfo> ListQuota(ZkClient& client, const std::string& path) {
  if (absl::Status s = ValidatePath(path); !s.ok()) return s;
  absl::StatusOr<DataResult> limits = client.GetData(QuotaLimitPath(path));
  if (!limits.ok()) return limits.status();
  QuotaInfo info;
  info.limits = StatsTrack::Parse(limits->data);
  absl::StatusOr<DataResult> stats = client.GetData(QuotaStatPath(path));
  if (!stats.ok()) return stats.status();
  info.stats = StatsTrack::Parse(stats->data);
  return info;
}

absl::Status DelQuota(ZkClient& client, const std::string& path, bool all,
                      const StatsTrack& which) {
  if (absl::Status s = ValidatePath(path); !s.ok()) return s;
  const std::string limit_path = QuotaLimitPath(path);
  absl::StatusOr<DataResult> current = client.GetData(limit_path);
  if (!current.ok()) return current.status();
  if (!all) {
    StatsTrack limits = StatsTrack::Parse(current->data);
    if (which.count() > 0) limits.set_count(-1);
    if (which.bytes() > 0) limits.set_bytes(-1);
    if (which.count_hard_limit() > 0) limits.set_count_hard_limit(-1);
    if (which.byte_hard_limit() > 0) limits.set_byte_hard_limit(-1);
    return client.SetData(limit_path, limits.ToString()).status();
  }
  // The quota node's children (limits and stats), then every parent under
  // /zookeeper/quota left without children.
  std::string node = absl::StrCat(kQuotaPath, path);
  absl::StatusOr<ChildrenResult> children = client.GetChildren(node);
  if (!children.ok()) return children.status();
  for (const std::string& child : children->children) {
    absl::Status s = client.Delete(JoinPath(node, child));
    if (!s.ok() && !IsNoNode(s)) return s;
  }
  while (node != kQuotaPath) {
    absl::StatusOr<ChildrenResult> left = client.GetChildren(node);
    if (IsNoNode(left.status())) return absl::OkStatus();
    if (!left.ok()) return left.status();
    if (!left->children.empty()) break;
    absl::Status s = client.Delete(node);
    if (!s.ok() && !IsNoNode(s)) return s;
    node = ParentPath(node);
  }
  return absl::OkStatus();
}

}  // namespace zk
