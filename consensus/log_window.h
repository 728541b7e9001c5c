// LogWindow: the in-memory suffix of one server's history.
//
// Guarantees (checked): entries are exactly the history entries with zxid >
// floor(), in strictly increasing zxid order. The leader uses it to DIFF a
// follower whose last zxid is at or above floor(); anything older needs SNAP.
// Only entries at or below the applied zxid are ever trimmed, so everything
// not yet applied is always here.
#ifndef ZABKEEPER_CONSENSUS_LOG_WINDOW_H_
#define ZABKEEPER_CONSENSUS_LOG_WINDOW_H_

#include <cstddef>
#include <deque>
#include <optional>

#include "consensus/types.h"
#include "consensus/zxid.h"

namespace zab {

class LogWindow {
 public:
  explicit LogWindow(Zxid floor = Zxid()) : floor_(floor) {}

  Zxid floor() const { return floor_; }
  Zxid last() const { return entries_.empty() ? floor_ : entries_.back().zxid; }
  size_t size() const { return entries_.size(); }
  // Payload bytes held.
  size_t bytes() const { return bytes_; }
  bool empty() const { return entries_.empty(); }
  const LogEntry& at(size_t i) const { return entries_[i]; }

  // Index of the first entry with zxid > z (size() if none).
  size_t UpperBound(Zxid z) const;
  // True if z == floor() or z is the zxid of an entry.
  bool Contains(Zxid z) const;
  // The largest zxid <= z that this window can vouch for (an entry or the
  // floor); nullopt if z < floor().
  std::optional<Zxid> LargestAtOrBelow(Zxid z) const;

  void Append(LogEntry entry);  // CHECKs zxid > last()
  // Drops entries after z. CHECKs z >= floor().
  void TruncateAfter(Zxid z);
  // Forget everything: history is now "state as of floor".
  void Reset(Zxid floor);
  // Drops the oldest entries at or below `applied` while more than `keep`
  // of them remain, or while the window holds more than `keep_bytes` of
  // payload (big values would otherwise pin `keep` of them in memory).
  void Trim(Zxid applied, size_t keep, size_t keep_bytes);

 private:
  Zxid floor_;
  std::deque<LogEntry> entries_;
  size_t bytes_ = 0;
};

}  // namespace zab

#endif  // ZABKEEPER_CONSENSUS_LOG_WINDOW_H_
