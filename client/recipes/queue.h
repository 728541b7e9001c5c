// DistributedQueue: FIFO of persistent-sequential items dir/qn-<seq>. Any
// number of producers and consumers; an item is taken by the consumer whose
// delete of it succeeds, so each item is taken at most once, and exactly once
// while connections hold. If a take's delete loses its reply to a connection
// loss the item may already be gone: it is then dropped rather than risk a
// second delivery (see docs/RECIPES.md).
//
// SharedCounter: an integer in one znode, changed by compare-and-set on the
// node version.
#ifndef ZABKEEPER_CLIENT_RECIPES_QUEUE_H_
#define ZABKEEPER_CLIENT_RECIPES_QUEUE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/zk_client.h"

namespace zk::recipes {

class DistributedQueue {
 public:
  DistributedQueue(ZkClient* client, std::string dir) : client_(client), dir_(std::move(dir)) {}
  // Appends; returns the item's node path.
  absl::StatusOr<std::string> Offer(const std::string& data);
  // The head item without removing it; nullopt when empty.
  absl::StatusOr<std::optional<std::string>> Peek();
  // Removes and returns the head; nullopt when empty.
  absl::StatusOr<std::optional<std::string>> Poll();
  // Like Poll but waits for an item; DeadlineExceeded on timeout.
  absl::StatusOr<std::string> Take(absl::Duration timeout = absl::InfiniteDuration());

 private:
  absl::StatusOr<std::optional<std::string>> TakeHead(const Watcher& watcher);
  ZkClient* const client_;
  const std::string dir_;
};

class SharedCounter {
 public:
  SharedCounter(ZkClient* client, std::string path, int64_t initial = 0)
      : client_(client), path_(std::move(path)), initial_(initial) {}
  absl::StatusOr<int64_t> Get();
  // Adds delta atomically (retries on BadVersion); returns the new value.
  absl::StatusOr<int64_t> Add(int64_t delta);
  // Sets `value` only if the node still has `expected_version`; BadVersion if not.
  absl::Status TrySet(int64_t value, int32_t expected_version);
  // The value and version, for TrySet.
  absl::StatusOr<std::pair<int64_t, int32_t>> GetVersioned();

 private:
  ZkClient* const client_;
  const std::string path_;
  const int64_t initial_;
};

}  // namespace zk::recipes

#endif  // ZABKEEPER_CLIENT_RECIPES_QUEUE_H_
