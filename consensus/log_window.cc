#include "consensus/log_window.h"

#include <algorithm>
#include <utility>

#include "glog/logging.h"

namespace zab {

size_t LogWindow::UpperBound(Zxid z) const {
  auto it = std::upper_bound(entries_.begin(), entries_.end(), z,
                             [](Zxid v, const LogEntry& e) { return v < e.zxid; });
  return static_cast<size_t>(it - entries_.begin());
}

bool LogWindow::Contains(Zxid z) const {
  if (z == floor_) return true;
  size_t i = UpperBound(z);
  return i > 0 && entries_[i - 1].zxid == z;
}

std::optional<Zxid> LogWindow::LargestAtOrBelow(Zxid z) const {
  if (z < floor_) return std::nullopt;
  size_t i = UpperBound(z);
  return i == 0 ? floor_ : entries_[i - 1].zxid;
}

void LogWindow::Append(LogEntry entry) {
  // Zxids strictly increase within a server's log (Zab's primary order).
  CHECK_GT(entry.zxid, last()) << "log append out of order";
  bytes_ += entry.txn.size();
  entries_.push_back(std::move(entry));
}

void LogWindow::TruncateAfter(Zxid z) {
  CHECK_GE(z, floor_) << "truncate below the log floor";
  const auto first = entries_.begin() + static_cast<std::ptrdiff_t>(UpperBound(z));
  for (auto it = first; it != entries_.end(); ++it) bytes_ -= it->txn.size();
  entries_.erase(first, entries_.end());
}

void LogWindow::Reset(Zxid floor) {
  entries_.clear();
  bytes_ = 0;
  floor_ = floor;
}

void LogWindow::Trim(Zxid applied, size_t keep, size_t keep_bytes) {
  size_t applied_count = UpperBound(applied);
  while (applied_count > keep || (applied_count > 0 && bytes_ > keep_bytes)) {
    floor_ = entries_.front().zxid;
    bytes_ -= entries_.front().txn.size();
    entries_.pop_front();
    --applied_count;
  }
}

}  // namespace zab
