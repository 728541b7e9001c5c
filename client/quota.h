// Quotas as ZooKeeper 3.7+'s client tools manage them (SetQuotaCommand,
// ListQuotaCommand, DelQuotaCommand): plain znode operations on
// /zookeeper/quota + path + /zookeeper_limits (the limits) and
// /zookeeper_stats (the subtree's count and bytes, kept by the server). No
// RPC of its own. Nested quotas are refused, as zkCli refuses them.
#ifndef ZABKEEPER_CLIENT_QUOTA_H_
#define ZABKEEPER_CLIENT_QUOTA_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zk {

class ZkClient;

inline constexpr absl::string_view kQuotaPath = "/zookeeper/quota";
inline constexpr absl::string_view kQuotaLimitNode = "zookeeper_limits";
inline constexpr absl::string_view kQuotaStatNode = "zookeeper_stats";

// ZooKeeper's StatsTrack: "count=10,bytes=-1,byteHardLimit=-1,countHardLimit=5".
// An absent key reads as -1 (no limit).
class StatsTrack {
 public:
  StatsTrack() = default;
  // Lenient like ZooKeeper: malformed pairs are skipped.
  static StatsTrack Parse(absl::string_view data);

  int64_t count() const { return Get("count"); }
  int64_t bytes() const { return Get("bytes"); }
  int64_t count_hard_limit() const { return Get("countHardLimit"); }
  int64_t byte_hard_limit() const { return Get("byteHardLimit"); }
  void set_count(int64_t v) { values_["count"] = v; }
  void set_bytes(int64_t v) { values_["bytes"] = v; }
  void set_count_hard_limit(int64_t v) { values_["countHardLimit"] = v; }
  void set_byte_hard_limit(int64_t v) { values_["byteHardLimit"] = v; }

  // count and bytes first, then any other key in name order.
  std::string ToString() const;

 private:
  int64_t Get(const std::string& key) const;
  std::map<std::string, int64_t> values_;
};

std::string QuotaLimitPath(absl::string_view path);  // /zookeeper/quota<path>/zookeeper_limits
std::string QuotaStatPath(absl::string_view path);   // /zookeeper/quota<path>/zookeeper_stats

// Sets the limits of quota (those > -1) on path, which must exist: creates
// the limits and stats nodes (the server fills the stats), or merges into
// existing limits. INVALID_ARGUMENT for a path under /zookeeper/quota or
// beneath/above another quota; NO_NODE if path does not exist.
absl::Status SetQuota(ZkClient& client, const std::string& path, const StatsTrack& quota);

struct QuotaInfo {
  StatsTrack limits;
  StatsTrack stats;
};
// The quota of path: NO_NODE when it has none.
absl::StatusOr<QuotaInfo> ListQuota(ZkClient& client, const std::string& path);

// Removes the whole quota of path (all = true), or clears the limits named by
// which (each > 0 clears that limit, as DelQuotaCommand does). NO_NODE when
// path has no quota.
absl::Status DelQuota(ZkClient& client, const std::string& path, bool all,
                      const StatsTrack& which = StatsTrack());

}  // namespace zk

#endif  // ZABKEEPER_CLIENT_QUOTA_H_
