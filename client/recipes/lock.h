// Distributed locks on ephemeral-sequential contender nodes.
//
// Lock: exclusive. A contender creates dir/lock-<uuid>-<seq> and holds the
// lock when its node has the lowest sequence; otherwise it watches only its
// immediate predecessor (no herd effect). The uuid lets a create whose reply
// was lost be found again. Acquire() may time out (the node is then removed).
// Reentrant per Lock object: a Lock object is one holder; use one object per
// thread that contends.
//
// Fencing token: the lock node's czxid. It increases with every new holder,
// so an external resource that remembers the highest token it has seen can
// reject a late write from a holder that lost the lock.
//
// Connection trouble: on SUSPENDED the holder is told kMayHaveLost (stop
// touching the resource until told more); after reattaching, kStillHeld if its
// node survived, else kLost; on session LOST, kLost. Events run on the client's
// callback thread.
//
// ReadWriteLock: read-<uuid>-<seq> and write-<uuid>-<seq> in one directory.
// A reader waits only for the last writer queued before it, a writer for its
// immediate predecessor; a queued writer therefore blocks later readers (no
// writer starvation).
//
// Semaphore: up to N holders of dir/lease-<uuid>-<seq>; a contender holds a
// lease when fewer than N contenders precede it. Waiters watch the children
// list (a lease can be released anywhere ahead of them).
#ifndef ZABKEEPER_CLIENT_RECIPES_LOCK_H_
#define ZABKEEPER_CLIENT_RECIPES_LOCK_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/recipes/recipe_util.h"
#include "client/zk_client.h"

namespace zk::recipes {

enum class LockEvent { kMayHaveLost, kStillHeld, kLost };

// The common engine. `blocker(contenders, my_index)` returns the index of the
// contender to wait for, -1 if the caller may hold, or -2 to wait for any
// change of the children list.
class ContenderLock {
 public:
  using Blocker = std::function<int(const std::vector<Contender>&, int)>;
  ContenderLock(ZkClient* client, std::string dir, std::string prefix, Blocker blocker,
                std::function<void(LockEvent)> on_event);
  ~ContenderLock();  // releases if held
  ContenderLock(const ContenderLock&) = delete;
  ContenderLock& operator=(const ContenderLock&) = delete;

  // OK when held; DeadlineExceeded on timeout; other errors from the server.
  absl::Status Acquire(absl::Duration timeout = absl::InfiniteDuration());
  bool TryAcquire(absl::Duration timeout) { return Acquire(timeout).ok(); }
  // Undoes one Acquire; the node is deleted when the count reaches zero.
  absl::Status Release();

  bool held() const;
  int64_t fencing_token() const;  // czxid of the lock node, 0 if not held
  std::string node_path() const;

 private:
  struct Shared;
  ZkClient* const client_;
  const std::string dir_;
  const std::string prefix_;
  const Blocker blocker_;
  std::shared_ptr<Shared> shared_;
  int listener_id_ = 0;
};

class Lock : public ContenderLock {
 public:
  Lock(ZkClient* client, std::string dir, std::function<void(LockEvent)> on_event = nullptr);
};

class ReadWriteLock {
 public:
  ReadWriteLock(ZkClient* client, std::string dir,
                std::function<void(LockEvent)> on_event = nullptr);
  ContenderLock& read_lock() { return read_; }
  ContenderLock& write_lock() { return write_; }

 private:
  ContenderLock read_;
  ContenderLock write_;
};

class Semaphore : public ContenderLock {
 public:
  Semaphore(ZkClient* client, std::string dir, int max_leases,
            std::function<void(LockEvent)> on_event = nullptr);
};

}  // namespace zk::recipes

#endif  // ZABKEEPER_CLIENT_RECIPES_LOCK_H_
