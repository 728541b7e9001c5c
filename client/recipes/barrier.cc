#include "client/recipes/barrier.h"

#include "client/paths.h"

namespace zk::recipes {
namespace {

absl::Time DeadlineOf(absl::Duration timeout) {
  return timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
}

// Waits for a watch or, so that connection trouble never hangs a caller, at
// most one second before the caller looks again.
bool WaitRound(Waker& waker, uint64_t seen, absl::Time deadline) {
  waker.WaitChange(seen, std::min(deadline, absl::Now() + absl::Seconds(1)));
  return absl::Now() < deadline;
}

}  // namespace

absl::Status Barrier::Set() {
  if (absl::Status s = client_->EnsurePath(ParentPath(path_)); !s.ok()) return s;
  absl::StatusOr<std::string> created = client_->Create(path_);
  if (created.ok() || IsNodeExists(created.status())) return absl::OkStatus();
  return created.status();
}

absl::Status Barrier::Remove() {
  absl::Status s = client_->Delete(path_);
  return IsNoNode(s) ? absl::OkStatus() : s;
}

absl::Status Barrier::Wait(absl::Duration timeout) {
  const absl::Time deadline = DeadlineOf(timeout);
  std::shared_ptr<Waker> waker = Waker::Create();
  while (true) {
    const uint64_t seen = waker->generation();
    absl::StatusOr<std::optional<Stat>> st = client_->Exists(path_, waker->MakeWatcher());
    if (st.ok() && !st->has_value()) return absl::OkStatus();
    if (!st.ok() && !IsRetryable(st.status())) return st.status();
    if (!WaitRound(*waker, seen, deadline)) {
      return absl::DeadlineExceededError("barrier " + path_ + " still set");
    }
  }
}

DoubleBarrier::DoubleBarrier(ZkClient* client, std::string dir, int count, std::string id)
    : client_(client), dir_(std::move(dir)), count_(count), id_(std::move(id)) {}

absl::Status DoubleBarrier::Enter(absl::Duration timeout) {
  const absl::Time deadline = DeadlineOf(timeout);
  if (absl::Status s = client_->EnsurePath(dir_); !s.ok()) return s;
  absl::StatusOr<std::string> me =
      client_->Create(JoinPath(dir_, id_), "", CreateOptions::Mode(proto::EPHEMERAL));
  if (!me.ok() && !IsNodeExists(me.status())) return me.status();
  const std::string ready = JoinPath(dir_, "ready");
  std::shared_ptr<Waker> waker = Waker::Create();
  while (true) {
    const uint64_t seen = waker->generation();
    absl::StatusOr<std::optional<Stat>> st = client_->Exists(ready, waker->MakeWatcher());
    if (st.ok() && st->has_value()) return absl::OkStatus();
    absl::StatusOr<ChildrenResult> kids = client_->GetChildren(dir_);
    if (kids.ok()) {
      int members = 0;
      for (const std::string& k : kids->children) members += k != "ready";
      if (members >= count_) {
        absl::StatusOr<std::string> r = client_->Create(ready);
        if (r.ok() || IsNodeExists(r.status())) return absl::OkStatus();
      }
    }
    if (!WaitRound(*waker, seen, deadline)) {
      client_->Delete(JoinPath(dir_, id_)).IgnoreError();
      return absl::DeadlineExceededError("double barrier " + dir_ + ": not all entered");
    }
  }
}

absl::Status DoubleBarrier::Leave(absl::Duration timeout) {
  const absl::Time deadline = DeadlineOf(timeout);
  absl::Status s = client_->Delete(JoinPath(dir_, id_));
  if (!s.ok() && !IsNoNode(s)) return s;
  std::shared_ptr<Waker> waker = Waker::Create();
  while (true) {
    const uint64_t seen = waker->generation();
    absl::StatusOr<ChildrenResult> kids = client_->GetChildren(dir_, waker->MakeWatcher());
    if (kids.ok()) {
      int members = 0;
      for (const std::string& k : kids->children) members += k != "ready";
      if (members == 0) {
        client_->Delete(JoinPath(dir_, "ready")).IgnoreError();
        return absl::OkStatus();
      }
    } else if (IsNoNode(kids.status())) {
      return absl::OkStatus();
    }
    if (!WaitRound(*waker, seen, deadline)) {
      return absl::DeadlineExceededError("double barrier " + dir_ + ": not all left");
    }
  }
}

}  // namespace zk::recipes
