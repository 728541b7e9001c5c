#include "storage/memory_storage.h"

#include "absl/strings/str_cat.h"

namespace zabkeeper::storage {

absl::Status MemoryTxnLog::Append(absl::Span<const LogEntry> entries) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t last = entries_.empty() ? 0 : entries_.rbegin()->first;
  for (const LogEntry& e : entries) {
    if (e.zxid <= last) {
      return absl::FailedPreconditionError(
          absl::StrCat("log append out of order: zxid ", e.zxid, " after ", last));
    }
    last = e.zxid;
  }
  for (const LogEntry& e : entries) entries_.emplace(e.zxid, e.payload);
  ++syncs_;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<LogEntry>> MemoryTxnLog::ReadAfter(uint64_t after,
                                                              size_t max_entries) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LogEntry> out;
  for (auto it = entries_.upper_bound(after); it != entries_.end() && out.size() < max_entries;
       ++it) {
    out.push_back(LogEntry{it->first, it->second});
  }
  return out;
}

absl::Status MemoryTxnLog::TruncateAfter(uint64_t zxid) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(entries_.upper_bound(zxid), entries_.end());
  return absl::OkStatus();
}

absl::Status MemoryTxnLog::PurgeBefore(uint64_t zxid) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(entries_.begin(), entries_.lower_bound(zxid));
  return absl::OkStatus();
}

uint64_t MemoryTxnLog::FirstZxid() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.empty() ? 0 : entries_.begin()->first;
}

uint64_t MemoryTxnLog::LastZxid() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.empty() ? 0 : entries_.rbegin()->first;
}

uint64_t MemoryTxnLog::SyncCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return syncs_;
}

absl::Status MemoryStateStore::Write(const StateBatch& batch) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [path, record] : batch.nodes) {
    if (record) {
      nodes_[path] = *record;
    } else {
      nodes_.erase(path);
    }
  }
  for (const auto& [id, record] : batch.sessions) {
    if (record) {
      sessions_[id] = *record;
    } else {
      sessions_.erase(id);
    }
  }
  last_applied_ = batch.last_applied;
  return absl::OkStatus();
}

absl::Status MemoryStateStore::ReplaceAll(const StateBatch& full_state) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    nodes_.clear();
    sessions_.clear();
  }
  return Write(full_state);
}

absl::Status MemoryStateStore::Load(
    const std::function<absl::Status(const std::string&, const proto::ZnodeRecord&)>& on_node,
    const std::function<absl::Status(const proto::SessionRecord&)>& on_session) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [path, record] : nodes_) {
    if (absl::Status s = on_node(path, record); !s.ok()) return s;
  }
  for (const auto& [id, record] : sessions_) {
    if (absl::Status s = on_session(record); !s.ok()) return s;
  }
  return absl::OkStatus();
}

uint64_t MemoryStateStore::LastApplied() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_applied_;
}

uint32_t MemoryEpochStore::AcceptedEpoch() const {
  std::lock_guard<std::mutex> lock(mu_);
  return accepted_;
}

uint32_t MemoryEpochStore::CurrentEpoch() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

absl::Status MemoryEpochStore::SetAcceptedEpoch(uint32_t epoch) {
  std::lock_guard<std::mutex> lock(mu_);
  accepted_ = epoch;
  return absl::OkStatus();
}

absl::Status MemoryEpochStore::SetCurrentEpoch(uint32_t epoch) {
  std::lock_guard<std::mutex> lock(mu_);
  current_ = epoch;
  return absl::OkStatus();
}

}  // namespace zabkeeper::storage
