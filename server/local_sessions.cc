#include "server/local_sessions.h"

#include <utility>

namespace zabkeeper::server {

void LocalSessions::Add(int64_t session_id, Session session, Clock::time_point now) {
  deadlines_.Track(session_id, session.timeout_ms, now);
  sessions_[session_id] = std::move(session);
}

const LocalSessions::Session* LocalSessions::Find(int64_t session_id) const {
  auto it = sessions_.find(session_id);
  return it == sessions_.end() ? nullptr : &it->second;
}

bool LocalSessions::IsLocal(int64_t session_id) const {
  const Session* s = Find(session_id);
  return s != nullptr && !s->upgrading;
}

void LocalSessions::MarkUpgrading(int64_t session_id) {
  auto it = sessions_.find(session_id);
  if (it != sessions_.end()) it->second.upgrading = true;
}

void LocalSessions::UpgradeFailed(int64_t session_id) {
  auto it = sessions_.find(session_id);
  if (it != sessions_.end()) it->second.upgrading = false;
}

bool LocalSessions::Touch(int64_t session_id, Clock::time_point now) {
  return sessions_.contains(session_id) && deadlines_.Touch(session_id, now);
}

void LocalSessions::Remove(int64_t session_id) {
  sessions_.erase(session_id);
  deadlines_.Remove(session_id);
}

void LocalSessions::RemoveReadOnly() {
  std::vector<int64_t> gone;
  for (const auto& [id, s] : sessions_) {
    if (s.read_only) gone.push_back(id);
  }
  for (int64_t id : gone) Remove(id);
}

std::vector<int64_t> LocalSessions::TakeExpired(Clock::time_point now) {
  std::vector<int64_t> expired = deadlines_.TakeExpired(now);
  for (int64_t id : expired) Remove(id);
  return expired;
}

}  // namespace zabkeeper::server
