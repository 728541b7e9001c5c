#include "client/recipes/lock.h"

#include <mutex>

#include "client/paths.h"
#include "glog/logging.h"

namespace zk::recipes {

// State reachable from watchers and the session listener, which may run
// after the lock object is gone.
struct ContenderLock::Shared {
  std::shared_ptr<Waker> waker = Waker::Create();
  std::function<void(LockEvent)> on_event;
  mutable std::mutex mu;
  std::string node;  // full path of our contender node, "" if none
  int64_t token = 0;
  int holds = 0;
  bool suspended = false;
};

ContenderLock::ContenderLock(ZkClient* client, std::string dir, std::string prefix, Blocker blocker,
                             std::function<void(LockEvent)> on_event)
    : client_(client),
      dir_(std::move(dir)),
      prefix_(std::move(prefix)),
      blocker_(std::move(blocker)),
      shared_(std::make_shared<Shared>()) {
  shared_->on_event = std::move(on_event);
  std::weak_ptr<Shared> weak = shared_;
  ZkClient* c = client_;
  listener_id_ = client_->AddStateListener([weak, c](SessionState state) {
    std::shared_ptr<Shared> s = weak.lock();
    if (!s) return;
    s->waker->Wake();
    std::string node;
    {
      std::lock_guard<std::mutex> lock(s->mu);
      if (s->holds == 0) return;
      node = s->node;
      if (state == SessionState::kSuspended) s->suspended = true;
      if (state == SessionState::kLost || state == SessionState::kClosed) {
        s->holds = 0;
        s->node.clear();
      }
    }
    if (!s->on_event) return;
    if (state == SessionState::kSuspended) s->on_event(LockEvent::kMayHaveLost);
    if (state == SessionState::kLost || state == SessionState::kClosed) {
      s->on_event(LockEvent::kLost);
    }
    if (state == SessionState::kConnected) {
      c->ExistsAsync(node, nullptr, [weak](absl::StatusOr<std::optional<Stat>> stat) {
        std::shared_ptr<Shared> s = weak.lock();
        if (!s) return;
        const bool alive = stat.ok() && stat->has_value();
        {
          std::lock_guard<std::mutex> lock(s->mu);
          s->suspended = false;
          if (!alive && stat.ok()) {
            s->holds = 0;
            s->node.clear();
          }
        }
        s->on_event(alive ? LockEvent::kStillHeld : LockEvent::kLost);
      });
    }
  });
}

ContenderLock::~ContenderLock() {
  client_->RemoveStateListener(listener_id_);
  bool held_now = false;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    held_now = !shared_->node.empty();
    if (held_now) shared_->holds = 1;
  }
  if (held_now) Release().IgnoreError();
}

absl::Status ContenderLock::Acquire(absl::Duration timeout) {
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    if (shared_->holds > 0) {
      ++shared_->holds;
      return absl::OkStatus();
    }
  }
  const absl::Time deadline =
      timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
  absl::StatusOr<CreateResult> mine = CreateContender(*client_, dir_, prefix_, NewUuid());
  if (!mine.ok()) return mine.status();
  const std::string my_name(NodeName(mine->path));
  auto give_up = [&](absl::Status why) {
    client_->Delete(mine->path).IgnoreError();
    return why;
  };
  // Each round waits for a watch, a state change or the deadline.
  while (true) {
    const uint64_t seen = shared_->waker->generation();
    absl::StatusOr<std::vector<Contender>> all = SortedContenders(*client_, dir_);
    if (!all.ok()) {
      if (!IsRetryable(all.status())) return give_up(all.status());
      if (!shared_->waker->WaitChange(seen, std::min(deadline, absl::Now() + absl::Seconds(1))) &&
          absl::Now() >= deadline) {
        return give_up(ZkError(proto::OPERATION_TIMEOUT, "lock " + dir_));
      }
      continue;
    }
    const int me = IndexOf(*all, my_name);
    if (me < 0) return ZkError(proto::NO_NODE, mine->path + " (lock node vanished)");
    const int blocker = blocker_(*all, me);
    if (blocker == -1) {
      std::lock_guard<std::mutex> lock(shared_->mu);
      shared_->node = mine->path;
      shared_->token = mine->stat.czxid();
      shared_->holds = 1;
      shared_->suspended = false;
      return absl::OkStatus();
    }
    if (blocker == -2) {
      absl::StatusOr<ChildrenResult> watched =
          client_->GetChildren(dir_, shared_->waker->MakeWatcher());
      if (!watched.ok() && !IsRetryable(watched.status())) return give_up(watched.status());
    } else {
      absl::StatusOr<std::optional<Stat>> pred =
          client_->Exists(JoinPath(dir_, (*all)[blocker].name), shared_->waker->MakeWatcher());
      if (pred.ok() && !pred->has_value()) continue;  // already gone
      if (!pred.ok() && !IsRetryable(pred.status())) return give_up(pred.status());
    }
    if (!shared_->waker->WaitChange(seen, deadline)) {
      return give_up(absl::DeadlineExceededError("timed out waiting for lock " + dir_));
    }
  }
}

absl::Status ContenderLock::Release() {
  std::string node;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    if (shared_->holds == 0) return ZkError(proto::API_ERROR, "lock " + dir_ + " is not held");
    if (--shared_->holds > 0) return absl::OkStatus();
    node.swap(shared_->node);
    shared_->token = 0;
  }
  // Bounded retries: a delete lost to a connection loss is repeated.
  absl::Status s;
  for (int attempt = 0; attempt < 10; ++attempt) {
    s = client_->Delete(node);
    if (s.ok() || IsNoNode(s)) return absl::OkStatus();
    if (!IsRetryable(s)) return s;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return s;
}

bool ContenderLock::held() const {
  std::lock_guard<std::mutex> lock(shared_->mu);
  return shared_->holds > 0;
}

int64_t ContenderLock::fencing_token() const {
  std::lock_guard<std::mutex> lock(shared_->mu);
  return shared_->holds > 0 ? shared_->token : 0;
}

std::string ContenderLock::node_path() const {
  std::lock_guard<std::mutex> lock(shared_->mu);
  return shared_->node;
}

namespace {

int Predecessor(const std::vector<Contender>&, int me) { return me == 0 ? -1 : me - 1; }

int LastWriterBefore(const std::vector<Contender>& all, int me) {
  for (int i = me - 1; i >= 0; --i) {
    if (all[i].name.rfind("write-", 0) == 0) return i;
  }
  return -1;
}

}  // namespace

Lock::Lock(ZkClient* client, std::string dir, std::function<void(LockEvent)> on_event)
    : ContenderLock(client, std::move(dir), "lock-", Predecessor, std::move(on_event)) {}

ReadWriteLock::ReadWriteLock(ZkClient* client, std::string dir,
                             std::function<void(LockEvent)> on_event)
    : read_(client, dir, "read-", LastWriterBefore, on_event),
      write_(client, dir, "write-", Predecessor, on_event) {}

Semaphore::Semaphore(ZkClient* client, std::string dir, int max_leases,
                     std::function<void(LockEvent)> on_event)
    : ContenderLock(
          client, std::move(dir), "lease-",
          [max_leases](const std::vector<Contender>&, int me) { return me < max_leases ? -1 : -2; },
          std::move(on_event)) {}

}  // namespace zk::recipes
