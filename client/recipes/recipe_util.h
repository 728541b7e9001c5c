// Building blocks shared by the recipes: unique ids, a wake-up signal that
// watchers and session listeners can trigger safely after the recipe object
// is gone, and "contender" nodes (ephemeral-sequential children named
// <prefix><uuid>-<seq>) whose uuid lets a create whose reply was lost be found
// again instead of leaking a second node.
#ifndef ZABKEEPER_CLIENT_RECIPES_RECIPE_UTIL_H_
#define ZABKEEPER_CLIENT_RECIPES_RECIPE_UTIL_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/zk_client.h"

namespace zk::recipes {

// 32 random hex digits.
std::string NewUuid();

// A generation counter with a condition variable. Watchers made by
// MakeWatcher() keep the Waker alive through a shared_ptr.
class Waker : public std::enable_shared_from_this<Waker> {
 public:
  static std::shared_ptr<Waker> Create() { return std::shared_ptr<Waker>(new Waker()); }
  void Wake();
  uint64_t generation();
  // Waits until the generation differs from `seen` or `deadline`; false on
  // timeout. absl::InfiniteFuture() waits without limit.
  bool WaitChange(uint64_t seen, absl::Time deadline);
  Watcher MakeWatcher();

 private:
  Waker() = default;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t generation_ = 0;
};

struct Contender {
  std::string name;  // child name
  int64_t sequence = -1;
};

// Children of `dir` that look like contenders, sorted by sequence number.
absl::StatusOr<std::vector<Contender>> SortedContenders(ZkClient& client, const std::string& dir);

// Creates dir/<prefix><uuid>-<seq> (ephemeral sequential) with `data`. After
// a ConnectionLoss it looks for a child carrying `uuid` before retrying, so at
// most one node per uuid exists. Creates `dir` if missing. Bounded retries.
absl::StatusOr<CreateResult> CreateContender(ZkClient& client, const std::string& dir,
                                             const std::string& prefix, const std::string& uuid,
                                             const std::string& data = {});

// Index of `name` in `contenders`, or -1.
int IndexOf(const std::vector<Contender>& contenders, const std::string& name);

}  // namespace zk::recipes

#endif  // ZABKEEPER_CLIENT_RECIPES_RECIPE_UTIL_H_
