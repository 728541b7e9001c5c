#include "server/watch_manager.h"

#include <algorithm>
#include <iterator>

namespace zabkeeper::server {

std::vector<WatchKind> WatchKindsOf(proto::WatcherType type) {
  switch (type) {
    case proto::WATCHER_CHILDREN:
      return {WatchKind::kChild};
    case proto::WATCHER_DATA:
      return {WatchKind::kData};
    case proto::WATCHER_PERSISTENT:
      return {WatchKind::kPersistent};
    case proto::WATCHER_PERSISTENT_RECURSIVE:
      return {WatchKind::kPersistentRecursive};
    case proto::WATCHER_ANY:
      return {std::begin(kAllWatchKinds), std::end(kAllWatchKinds)};
    default:
      return {};
  }
}

void WatchManager::Add(const std::string& path, int64_t session_id, WatchKind kind) {
  TableOf(kind)[path].insert(session_id);
  by_session_[session_id].insert({path, kind});
}

void WatchManager::TakeFrom(WatchKind kind, const std::string& path,
                            absl::flat_hash_set<int64_t>& out) {
  Table& table = TableOf(kind);
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

void WatchManager::CopyFrom(WatchKind kind, absl::string_view path,
                            absl::flat_hash_set<int64_t>& out) const {
  const Table& table = TableOf(kind);
  auto it = table.find(path);
  if (it != table.end()) out.insert(it->second.begin(), it->second.end());
}

std::vector<int64_t> WatchManager::Trigger(proto::EventType type, const std::string& path) {
  absl::flat_hash_set<int64_t> fired;
  switch (type) {
    case proto::NODE_CREATED:
    case proto::NODE_DATA_CHANGED:
      TakeFrom(WatchKind::kData, path, fired);
      break;
    case proto::NODE_DELETED:
      TakeFrom(WatchKind::kData, path, fired);
      TakeFrom(WatchKind::kChild, path, fired);
      break;
    case proto::NODE_CHILDREN_CHANGED:
      TakeFrom(WatchKind::kChild, path, fired);
      break;
    default:
      return {};  // not a node event: nothing watches it
  }
  // A persistent watch sees every event on its own path.
  CopyFrom(WatchKind::kPersistent, path, fired);
  // A recursive one sees node events (not child-list ones) on its path and
  // below: look the path and each of its ancestors up.
  if (type != proto::NODE_CHILDREN_CHANGED && !TableOf(WatchKind::kPersistentRecursive).empty()) {
    absl::string_view p = path;
    while (!p.empty()) {
      CopyFrom(WatchKind::kPersistentRecursive, p, fired);
      if (p == "/") break;
      const size_t slash = p.rfind('/');
      if (slash == absl::string_view::npos) break;
      p = slash == 0 ? absl::string_view("/") : p.substr(0, slash);
    }
  }
  std::vector<int64_t> out(fired.begin(), fired.end());
  std::sort(out.begin(), out.end());  // deterministic delivery order
  return out;
}

bool WatchManager::EraseOne(const std::string& path, int64_t session_id, WatchKind kind) {
  Table& table = TableOf(kind);
  auto it = table.find(path);
  if (it == table.end() || it->second.erase(session_id) == 0) return false;
  if (it->second.empty()) table.erase(it);
  auto s = by_session_.find(session_id);
  if (s != by_session_.end()) {
    s->second.erase({path, kind});
    if (s->second.empty()) by_session_.erase(s);
  }
  return true;
}

bool WatchManager::Remove(const std::string& path, int64_t session_id, proto::WatcherType type) {
  bool removed = false;
  for (WatchKind kind : WatchKindsOf(type)) removed |= EraseOne(path, session_id, kind);
  return removed;
}

bool WatchManager::Contains(const std::string& path, int64_t session_id,
                            proto::WatcherType type) const {
  for (WatchKind kind : WatchKindsOf(type)) {
    const Table& table = TableOf(kind);
    auto it = table.find(path);
    if (it != table.end() && it->second.contains(session_id)) return true;
  }
  return false;
}

void WatchManager::RemoveSession(int64_t session_id) {
  auto s = by_session_.find(session_id);
  if (s == by_session_.end()) return;
  for (const auto& [path, kind] : s->second) {
    Table& table = TableOf(kind);
    auto it = table.find(path);
    if (it == table.end()) continue;
    it->second.erase(session_id);
    if (it->second.empty()) table.erase(it);
  }
  by_session_.erase(s);
}

bool WatchManager::Has(const std::string& path, int64_t session_id, WatchKind kind) const {
  const Table& table = TableOf(kind);
  auto it = table.find(path);
  return it != table.end() && it->second.contains(session_id);
}

size_t WatchManager::watch_count() const {
  size_t n = 0;
  for (const Table& table : tables_) {
    for (const auto& [path, sessions] : table) n += sessions.size();
  }
  return n;
}

size_t WatchManager::SessionWatchCount(int64_t session_id) const {
  auto s = by_session_.find(session_id);
  return s == by_session_.end() ? 0 : s->second.size();
}

std::vector<std::pair<std::string, std::vector<int64_t>>> WatchManager::Snapshot(
    WatchKind kind) const {
  const Table& table = TableOf(kind);
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
