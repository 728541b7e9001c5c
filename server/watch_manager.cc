#include "server/watch_manager.h"

#include <algorithm>

namespace zabkeeper::server {

void WatchManager::Add(const std::string& path, int64_t session_id, WatchKind kind) {
  std::lock_guard<std::mutex> lock(mu_);
  (kind == WatchKind::kData ? data_ : child_)[path].insert(session_id);
  by_session_[session_id].insert({path, kind});
}

void WatchManager::TakeFrom(Table& table, WatchKind kind, const std::string& path,
                            absl::flat_hash_set<int64_t>& out) {
  auto it = table.find(path);
  if (it == table.end()) return;
  for (int64_t session : it->second) {
    out.insert(session);
    auto s = by_session_.find(session);
    if (s != by_session_.end()) {
      s->second.erase({path, kind});
      if (s->second.empty()) by_session_.erase(s);
    }
  }
  table.erase(it);
}

std::vector<int64_t> WatchManager::Trigger(proto::EventType type, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::flat_hash_set<int64_t> fired;
  switch (type) {
    case proto::NODE_CREATED:
    case proto::NODE_DATA_CHANGED:
      TakeFrom(data_, WatchKind::kData, path, fired);
      break;
    case proto::NODE_DELETED:
      TakeFrom(data_, WatchKind::kData, path, fired);
      TakeFrom(child_, WatchKind::kChild, path, fired);
      break;
    case proto::NODE_CHILDREN_CHANGED:
      TakeFrom(child_, WatchKind::kChild, path, fired);
      break;
    default:
      break;
  }
  std::vector<int64_t> out(fired.begin(), fired.end());
  std::sort(out.begin(), out.end());  // deterministic delivery order
  return out;
}

void WatchManager::RemoveSession(int64_t session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto s = by_session_.find(session_id);
  if (s == by_session_.end()) return;
  for (const auto& [path, kind] : s->second) {
    Table& table = kind == WatchKind::kData ? data_ : child_;
    auto it = table.find(path);
    if (it == table.end()) continue;
    it->second.erase(session_id);
    if (it->second.empty()) table.erase(it);
  }
  by_session_.erase(s);
}

bool WatchManager::Has(const std::string& path, int64_t session_id, WatchKind kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Table& table = kind == WatchKind::kData ? data_ : child_;
  auto it = table.find(path);
  return it != table.end() && it->second.contains(session_id);
}

size_t WatchManager::watch_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [path, sessions] : data_) n += sessions.size();
  for (const auto& [path, sessions] : child_) n += sessions.size();
  return n;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> WatchManager::Snapshot(
    WatchKind kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Table& table = kind == WatchKind::kData ? data_ : child_;
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  for (const auto& [path, sessions] : table) {
    std::vector<int64_t> ids(sessions.begin(), sessions.end());
    std::sort(ids.begin(), ids.end());
    out.emplace_back(path, std::move(ids));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace zabkeeper::server
