#include "server/quota.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace zabkeeper::server {

StatsTrack ParseStatsTrack(absl::string_view data) {
  StatsTrack st;
  for (absl::string_view pair : absl::StrSplit(data, ',', absl::SkipEmpty())) {
    size_t eq = pair.find('=');
    if (eq == absl::string_view::npos) continue;
    absl::string_view key = pair.substr(0, eq);
    int64_t value = 0;
    if (!absl::SimpleAtoi(pair.substr(eq + 1), &value)) continue;
    if (key == "count") {
      st.count = value;
    } else if (key == "bytes") {
      st.bytes = value;
    } else if (key == "countHardLimit") {
      st.count_hard = value;
    } else if (key == "byteHardLimit") {
      st.bytes_hard = value;
    }
  }
  return st;
}

std::string FormatStats(int64_t count, int64_t bytes) {
  return absl::StrCat("count=", count, ",bytes=", bytes);
}

std::string QuotaLimitPath(absl::string_view path) {
  return absl::StrCat(kQuotaRoot, path == "/" ? "" : path, "/", kQuotaLimitNode);
}

std::string QuotaStatPath(absl::string_view path) {
  return absl::StrCat(kQuotaRoot, path == "/" ? "" : path, "/", kQuotaStatNode);
}

}  // namespace zabkeeper::server
