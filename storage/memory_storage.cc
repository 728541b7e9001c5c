#include "storage/memory_storage.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace zabkeeper::storage {

absl::Status MemoryTxnLog::Append(absl::Span<const LogEntry> entries) {
  std::lock_guard<std::mutex> lock(file_.mu());
  if (absl::Status s = AppendLocked(entries); !s.ok()) return s;
  if (absl::Status s = file_.SyncLocked(); !s.ok()) return s;
  ++syncs_;
  return absl::OkStatus();
}

absl::Status MemoryTxnLog::AppendUnsynced(absl::Span<const LogEntry> entries) {
  std::lock_guard<std::mutex> lock(file_.mu());
  return AppendLocked(entries);
}

absl::Status MemoryTxnLog::AppendLocked(absl::Span<const LogEntry> entries) {
  const Entries& live = file_.live();
  uint64_t last = live.empty() ? 0 : live.rbegin()->first;
  for (const LogEntry& e : entries) {
    if (e.zxid.raw() <= last) {
      return absl::FailedPreconditionError(
          absl::StrCat("log append out of order: zxid ", e.zxid.raw(), " after ", last));
    }
    last = e.zxid.raw();
  }
  if (entries.empty()) return absl::OkStatus();
  return file_.MutateLocked(
      [batch = std::vector<LogEntry>(entries.begin(), entries.end())](Entries& log) {
        for (const LogEntry& e : batch) log.emplace(e.zxid.raw(), e.txn);
      });
}

absl::StatusOr<std::vector<LogEntry>> MemoryTxnLog::ReadAfter(::zab::Zxid after,
                                                              size_t max_entries) const {
  std::lock_guard<std::mutex> lock(file_.mu());
  const Entries& live = file_.live();
  std::vector<LogEntry> out;
  for (auto it = live.upper_bound(after.raw()); it != live.end() && out.size() < max_entries;
       ++it) {
    out.push_back(LogEntry{::zab::Zxid::FromRaw(it->first), it->second});
  }
  return out;
}

absl::Status MemoryTxnLog::TruncateAfter(::zab::Zxid zxid) {
  std::lock_guard<std::mutex> lock(file_.mu());
  if (absl::Status s = file_.MutateLocked(
          [zxid](Entries& log) { log.erase(log.upper_bound(zxid.raw()), log.end()); });
      !s.ok()) {
    return s;
  }
  return file_.SyncLocked();
}

absl::Status MemoryTxnLog::PurgeBefore(::zab::Zxid zxid) {
  std::lock_guard<std::mutex> lock(file_.mu());
  return file_.MutateLocked(
      [zxid](Entries& log) { log.erase(log.begin(), log.lower_bound(zxid.raw())); });
}

::zab::Zxid MemoryTxnLog::FirstZxid() const {
  std::lock_guard<std::mutex> lock(file_.mu());
  const Entries& live = file_.live();
  return ::zab::Zxid::FromRaw(live.empty() ? 0 : live.begin()->first);
}

::zab::Zxid MemoryTxnLog::LastZxid() const {
  std::lock_guard<std::mutex> lock(file_.mu());
  const Entries& live = file_.live();
  return ::zab::Zxid::FromRaw(live.empty() ? 0 : live.rbegin()->first);
}

uint64_t MemoryTxnLog::SyncCount() const {
  std::lock_guard<std::mutex> lock(file_.mu());
  return syncs_;
}

void MemoryStateStore::Apply(const StateBatch& batch, State& state) {
  for (const auto& [path, record] : batch.nodes) {
    if (record) {
      state.nodes[path] = *record;
    } else {
      state.nodes.erase(path);
    }
  }
  for (const auto& [id, record] : batch.sessions) {
    if (record) {
      state.sessions[id] = *record;
    } else {
      state.sessions.erase(id);
    }
  }
  state.last_applied = batch.last_applied;
}

absl::Status MemoryStateStore::Write(const StateBatch& batch) {
  std::lock_guard<std::mutex> lock(file_.mu());
  return file_.MutateLocked([batch](State& state) { Apply(batch, state); });
}

absl::Status MemoryStateStore::ReplaceAll(const StateBatch& full_state) {
  std::lock_guard<std::mutex> lock(file_.mu());
  if (absl::Status s = file_.MutateLocked([full_state](State& state) {
        state = State();
        Apply(full_state, state);
      });
      !s.ok()) {
    return s;
  }
  return file_.SyncLocked();
}

absl::Status MemoryStateStore::Load(
    const std::function<absl::Status(const std::string&, const proto::ZnodeRecord&)>& on_node,
    const std::function<absl::Status(const proto::SessionRecord&)>& on_session) const {
  std::lock_guard<std::mutex> lock(file_.mu());
  for (const auto& [path, record] : file_.live().nodes) {
    if (absl::Status s = on_node(path, record); !s.ok()) return s;
  }
  for (const auto& [id, record] : file_.live().sessions) {
    if (absl::Status s = on_session(record); !s.ok()) return s;
  }
  return absl::OkStatus();
}

::zab::Zxid MemoryStateStore::LastApplied() const {
  std::lock_guard<std::mutex> lock(file_.mu());
  return file_.live().last_applied;
}

uint32_t MemoryEpochStore::AcceptedEpoch() const {
  std::lock_guard<std::mutex> lock(file_.mu());
  return file_.live().accepted;
}

uint32_t MemoryEpochStore::CurrentEpoch() const {
  std::lock_guard<std::mutex> lock(file_.mu());
  return file_.live().current;
}

absl::Status MemoryEpochStore::SetAcceptedEpoch(uint32_t epoch) {
  std::lock_guard<std::mutex> lock(file_.mu());
  if (absl::Status s = file_.MutateLocked([epoch](Epochs& e) { e.accepted = epoch; }); !s.ok()) {
    return s;
  }
  return file_.SyncLocked();
}

absl::Status MemoryEpochStore::SetCurrentEpoch(uint32_t epoch) {
  std::lock_guard<std::mutex> lock(file_.mu());
  if (absl::Status s = file_.MutateLocked([epoch](Epochs& e) { e.current = epoch; }); !s.ok()) {
    return s;
  }
  return file_.SyncLocked();
}

}  // namespace zabkeeper::storage
