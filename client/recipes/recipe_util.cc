#include "client/recipes/recipe_util.h"

#include <algorithm>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/paths.h"

namespace zk::recipes {

std::string NewUuid() {
  static thread_local std::mt19937_64 rng(std::random_device{}() ^
                                          std::hash<std::thread::id>()(std::this_thread::get_id()));
  return absl::StrFormat("%016x%016x", rng(), rng());
}

void Waker::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
}

uint64_t Waker::generation() {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

bool Waker::WaitChange(uint64_t seen, absl::Time deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  while (generation_ == seen) {
    if (deadline == absl::InfiniteFuture()) {
      cv_.wait(lock);
      continue;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    cv_.wait_for(lock, absl::ToChronoNanoseconds(std::min(left, absl::Hours(1))));
  }
  return true;
}

Watcher Waker::MakeWatcher() {
  std::weak_ptr<Waker> weak = weak_from_this();
  return [weak](const WatchedEvent&) {
    if (auto self = weak.lock()) self->Wake();
  };
}

absl::StatusOr<std::vector<Contender>> SortedContenders(ZkClient& client, const std::string& dir) {
  absl::StatusOr<ChildrenResult> children = client.GetChildren(dir);
  if (!children.ok()) return children.status();
  std::vector<Contender> out;
  for (const std::string& name : children->children) {
    const int64_t seq = SequenceOf(name);
    if (seq >= 0) out.push_back(Contender{name, seq});
  }
  std::sort(out.begin(), out.end(), [](const Contender& a, const Contender& b) {
    return a.sequence != b.sequence ? a.sequence < b.sequence : a.name < b.name;
  });
  return out;
}

int IndexOf(const std::vector<Contender>& contenders, const std::string& name) {
  for (size_t i = 0; i < contenders.size(); ++i) {
    if (contenders[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

absl::StatusOr<CreateResult> CreateContender(ZkClient& client, const std::string& dir,
                                             const std::string& prefix, const std::string& uuid,
                                             const std::string& data) {
  constexpr int kMaxAttempts = 20;  // each failed attempt is a connection loss
  const std::string tag = absl::StrCat(prefix, uuid, "-");
  absl::Status last;
  bool maybe_created = false;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (maybe_created) {
      absl::StatusOr<ChildrenResult> children = client.GetChildren(dir);
      if (children.ok()) {
        for (const std::string& name : children->children) {
          if (name.rfind(tag, 0) == 0) {
            const std::string path = JoinPath(dir, name);
            absl::StatusOr<std::optional<Stat>> stat = client.Exists(path);
            if (stat.ok() && stat->has_value()) return CreateResult{path, **stat};
          }
        }
      } else if (!IsRetryable(children.status()) && !IsNoNode(children.status())) {
        return children.status();
      }
    }
    absl::StatusOr<CreateResult> created = client.CreateWithStat(
        JoinPath(dir, tag), data, CreateOptions::Mode(proto::EPHEMERAL_SEQUENTIAL));
    if (created.ok()) return created;
    last = created.status();
    if (IsNoNode(last)) {
      if (absl::Status s = client.EnsurePath(dir); !s.ok() && !IsRetryable(s)) return s;
      continue;
    }
    if (!IsRetryable(last)) return last;
    maybe_created = true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return last;
}

}  // namespace zk::recipes
