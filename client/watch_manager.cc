#include "client/watch_manager.h"

namespace zk {

WatchManager::Table& WatchManager::TableOf(WatchKind kind) {
  switch (kind) {
    case WatchKind::kData:
      return data_;
    case WatchKind::kExist:
      return exist_;
    case WatchKind::kChild:
      return child_;
    case WatchKind::kPersistent:
      return persistent_;
    case WatchKind::kPersistentRecursive:
      return recursive_;
  }
  return data_;
}

void WatchManager::Add(WatchKind kind, const std::string& path, Watcher watcher) {
  TableOf(kind)[path].push_back(std::move(watcher));
}

void WatchManager::MoveOut(Table& table, const std::string& path, std::vector<Watcher>* out) {
  auto it = table.find(path);
  if (it == table.end()) return;
  for (Watcher& w : it->second) out->push_back(std::move(w));
  table.erase(it);
}

std::vector<Watcher> WatchManager::Materialize(EventType type, const std::string& path) {
  std::vector<Watcher> out;
  switch (type) {
    case proto::NODE_CREATED:
    case proto::NODE_DATA_CHANGED:
      MoveOut(data_, path, &out);
      MoveOut(exist_, path, &out);
      break;
    case proto::NODE_DELETED:
      MoveOut(data_, path, &out);
      MoveOut(exist_, path, &out);
      MoveOut(child_, path, &out);
      break;
    case proto::NODE_CHILDREN_CHANGED:
      MoveOut(child_, path, &out);
      break;
    default:
      break;
  }
  if (auto it = persistent_.find(path); it != persistent_.end()) {
    out.insert(out.end(), it->second.begin(), it->second.end());
  }
  if (type != proto::NODE_CHILDREN_CHANGED) {
    // Recursive watches see the path and every descendant.
    std::string prefix = path;
    while (true) {
      if (auto it = recursive_.find(prefix); it != recursive_.end()) {
        out.insert(out.end(), it->second.begin(), it->second.end());
      }
      if (prefix == "/" || prefix.empty()) break;
      const size_t slash = prefix.rfind('/');
      prefix = slash == 0 ? "/" : prefix.substr(0, slash);
    }
  }
  return out;
}

std::vector<Watcher> WatchManager::TakeAll() {
  std::vector<Watcher> out;
  for (Table* t : {&data_, &exist_, &child_, &persistent_, &recursive_}) {
    for (auto& [path, ws] : *t) {
      for (Watcher& w : ws) out.push_back(std::move(w));
    }
    t->clear();
  }
  return out;
}

size_t WatchManager::Remove(const std::string& path, proto::WatcherType type) {
  std::vector<Table*> tables;
  switch (type) {
    case proto::WATCHER_CHILDREN:
      tables = {&child_};
      break;
    case proto::WATCHER_DATA:
      tables = {&data_, &exist_};
      break;
    case proto::WATCHER_PERSISTENT:
      tables = {&persistent_};
      break;
    case proto::WATCHER_PERSISTENT_RECURSIVE:
      tables = {&recursive_};
      break;
    default:
      tables = {&data_, &exist_, &child_, &persistent_, &recursive_};
      break;
  }
  size_t removed = 0;
  for (Table* t : tables) {
    if (auto it = t->find(path); it != t->end()) {
      removed += it->second.size();
      t->erase(it);
    }
  }
  return removed;
}

bool WatchManager::Has(const std::string& path, proto::WatcherType type) const {
  auto in = [&](const Table& t) { return t.count(path) > 0; };
  switch (type) {
    case proto::WATCHER_CHILDREN:
      return in(child_);
    case proto::WATCHER_DATA:
      return in(data_) || in(exist_);
    case proto::WATCHER_PERSISTENT:
      return in(persistent_);
    case proto::WATCHER_PERSISTENT_RECURSIVE:
      return in(recursive_);
    default:
      return in(data_) || in(exist_) || in(child_) || in(persistent_) || in(recursive_);
  }
}

bool WatchManager::empty() const {
  return data_.empty() && exist_.empty() && child_.empty() && persistent_.empty() &&
         recursive_.empty();
}

proto::SetWatchesRequest WatchManager::ToSetWatches(int64_t relative_zxid) const {
  proto::SetWatchesRequest req;
  req.set_relative_zxid(relative_zxid);
  for (const auto& [path, ws] : data_) req.add_data_watches(path);
  for (const auto& [path, ws] : exist_) req.add_exist_watches(path);
  for (const auto& [path, ws] : child_) req.add_child_watches(path);
  for (const auto& [path, ws] : persistent_) req.add_persistent_watches(path);
  for (const auto& [path, ws] : recursive_) req.add_persistent_recursive_watches(path);
  return req;
}

}  // namespace zk
