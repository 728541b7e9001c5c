// ZooKeeper quotas (3.7/3.8): the quota of path P lives at
// /zookeeper/quota + P + /zookeeper_limits (limits, written by clients such as
// zkCli's setquota) and /zookeeper/quota + P + /zookeeper_stats (the subtree's
// current count and bytes, maintained by the server as txns apply). Both hold
// a StatsTrack string: "count=10,bytes=-1,byteHardLimit=-1,countHardLimit=5".
#ifndef ZABKEEPER_SERVER_QUOTA_H_
#define ZABKEEPER_SERVER_QUOTA_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace zabkeeper::server {

inline constexpr absl::string_view kQuotaRoot = "/zookeeper/quota";
inline constexpr absl::string_view kQuotaLimitNode = "zookeeper_limits";
inline constexpr absl::string_view kQuotaStatNode = "zookeeper_stats";

// A parsed StatsTrack; a key that is absent reads as -1 (no limit), as in
// ZooKeeper.
struct StatsTrack {
  int64_t count = -1;
  int64_t bytes = -1;
  int64_t count_hard = -1;  // countHardLimit
  int64_t bytes_hard = -1;  // byteHardLimit
};

// Lenient like ZooKeeper's StatsTrack: unknown keys and malformed pairs are
// skipped.
StatsTrack ParseStatsTrack(absl::string_view data);

// "count=N,bytes=M", what the stats node holds.
std::string FormatStats(int64_t count, int64_t bytes);

// /zookeeper/quota + path + /zookeeper_limits (or _stats).
std::string QuotaLimitPath(absl::string_view path);
std::string QuotaStatPath(absl::string_view path);

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_QUOTA_H_
