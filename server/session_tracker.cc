#include "server/session_tracker.h"

#include <algorithm>

namespace zabkeeper::server {

SessionTracker::SessionTracker(int64_t server_id, int64_t now_ms_wall) {
  // ZooKeeper's SessionTrackerImpl.initializeNextSessionId: time in the middle
  // bits, the server id in the top byte.
  uint64_t base = (static_cast<uint64_t>(now_ms_wall) << 24) >> 8;
  next_id_ = static_cast<int64_t>(base | (static_cast<uint64_t>(server_id & 0xff) << 56));
}

int64_t SessionTracker::NextSessionId() { return ++next_id_; }

void SessionTracker::Track(int64_t session_id, int32_t timeout_ms, Clock::time_point now) {
  Entry& e = sessions_[session_id];
  e.timeout_ms = timeout_ms;
  e.deadline = now + std::chrono::milliseconds(timeout_ms);
  e.closing = false;
}

bool SessionTracker::Touch(int64_t session_id, Clock::time_point now) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.closing) return false;
  it->second.deadline = now + std::chrono::milliseconds(it->second.timeout_ms);
  return true;
}

void SessionTracker::Remove(int64_t session_id) { sessions_.erase(session_id); }

void SessionTracker::Clear() { sessions_.clear(); }

bool SessionTracker::IsLive(int64_t session_id) const {
  auto it = sessions_.find(session_id);
  return it != sessions_.end() && !it->second.closing;
}

std::vector<int64_t> SessionTracker::TakeExpired(Clock::time_point now) {
  std::vector<int64_t> expired;
  for (auto& [id, e] : sessions_) {
    if (!e.closing && e.deadline <= now) {
      e.closing = true;
      expired.push_back(id);
    }
  }
  // Ascending, not hash order: the same inputs give the same txns.
  std::sort(expired.begin(), expired.end());
  return expired;
}

size_t SessionTracker::size() const { return sessions_.size(); }

}  // namespace zabkeeper::server
