#include "client/recipes/queue.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/paths.h"
#include "client/recipes/recipe_util.h"

namespace zk::recipes {

absl::StatusOr<std::string> DistributedQueue::Offer(const std::string& data) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<std::string> created = client_->Create(
        JoinPath(dir_, "qn-"), data, CreateOptions::Mode(proto::PERSISTENT_SEQUENTIAL));
    if (!IsNoNode(created.status())) return created;
    if (absl::Status s = client_->EnsurePath(dir_); !s.ok()) return s;
  }
  return ZkError(proto::NO_NODE, dir_);
}

absl::StatusOr<std::optional<std::string>> DistributedQueue::TakeHead(const Watcher& watcher) {
  absl::StatusOr<ChildrenResult> kids = client_->GetChildren(dir_, watcher);
  if (IsNoNode(kids.status())) return std::optional<std::string>();
  if (!kids.ok()) return kids.status();
  std::vector<std::string> items;
  for (const std::string& k : kids->children) {
    if (k.rfind("qn-", 0) == 0) items.push_back(k);
  }
  std::sort(items.begin(), items.end(), [](const std::string& a, const std::string& b) {
    return SequenceOf(a) < SequenceOf(b);
  });
  for (const std::string& name : items) {
    const std::string path = JoinPath(dir_, name);
    absl::StatusOr<DataResult> data = client_->GetData(path);
    if (IsNoNode(data.status())) continue;  // another consumer took it
    if (!data.ok()) return data.status();
    absl::Status del = client_->Delete(path);
    if (del.ok()) return std::optional<std::string>(data->data);
    if (IsNoNode(del)) continue;
    return del;
  }
  return std::optional<std::string>();
}

absl::StatusOr<std::optional<std::string>> DistributedQueue::Peek() {
  absl::StatusOr<ChildrenResult> kids = client_->GetChildren(dir_);
  if (IsNoNode(kids.status())) return std::optional<std::string>();
  if (!kids.ok()) return kids.status();
  std::vector<std::string> items = kids->children;
  std::sort(items.begin(), items.end(), [](const std::string& a, const std::string& b) {
    return SequenceOf(a) < SequenceOf(b);
  });
  for (const std::string& name : items) {
    absl::StatusOr<DataResult> data = client_->GetData(JoinPath(dir_, name));
    if (data.ok()) return std::optional<std::string>(data->data);
    if (!IsNoNode(data.status())) return data.status();
  }
  return std::optional<std::string>();
}

absl::StatusOr<std::optional<std::string>> DistributedQueue::Poll() { return TakeHead(nullptr); }

absl::StatusOr<std::string> DistributedQueue::Take(absl::Duration timeout) {
  const absl::Time deadline =
      timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
  std::shared_ptr<Waker> waker = Waker::Create();
  while (true) {
    const uint64_t seen = waker->generation();
    absl::StatusOr<std::optional<std::string>> item = TakeHead(waker->MakeWatcher());
    if (item.ok() && item->has_value()) return **item;
    if (!item.ok() && !IsRetryable(item.status())) return item.status();
    if (absl::Now() >= deadline) return absl::DeadlineExceededError("queue " + dir_ + " empty");
    // At most 1 s between looks so a lost watch (connection trouble) cannot
    // stall a consumer; one last look after the deadline's wait.
    waker->WaitChange(seen, std::min(deadline, absl::Now() + absl::Seconds(1)));
  }
}

absl::StatusOr<std::pair<int64_t, int32_t>> SharedCounter::GetVersioned() {
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<DataResult> data = client_->GetData(path_);
    if (IsNoNode(data.status())) {
      if (absl::Status s = client_->EnsurePath(ParentPath(path_)); !s.ok()) return s;
      absl::StatusOr<std::string> c = client_->Create(path_, absl::StrCat(initial_));
      if (!c.ok() && !IsNodeExists(c.status())) return c.status();
      continue;
    }
    if (!data.ok()) return data.status();
    int64_t value = 0;
    if (!absl::SimpleAtoi(data->data, &value)) {
      return ZkError(proto::BAD_ARGUMENTS, path_ + " does not hold an integer");
    }
    return std::make_pair(value, data->stat.version());
  }
  return ZkError(proto::NO_NODE, path_);
}

absl::StatusOr<int64_t> SharedCounter::Get() {
  absl::StatusOr<std::pair<int64_t, int32_t>> v = GetVersioned();
  if (!v.ok()) return v.status();
  return v->first;
}

absl::Status SharedCounter::TrySet(int64_t value, int32_t expected_version) {
  return client_->SetData(path_, absl::StrCat(value), expected_version).status();
}

absl::StatusOr<int64_t> SharedCounter::Add(int64_t delta) {
  constexpr int kMaxAttempts = 1000;  // contention bound
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    absl::StatusOr<std::pair<int64_t, int32_t>> v = GetVersioned();
    if (!v.ok()) return v.status();
    absl::Status s = TrySet(v->first + delta, v->second);
    if (s.ok()) return v->first + delta;
    if (!IsBadVersion(s)) return s;
  }
  return ZkError(proto::BAD_VERSION, path_ + " (too much contention)");
}

}  // namespace zk::recipes
