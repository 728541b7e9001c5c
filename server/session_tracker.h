// SessionTracker: liveness of sessions (ZooKeeper's SessionTrackerImpl).
// Every request or ping of a session pushes its deadline out by its timeout;
// the owner of expiry (the leader) polls TakeExpired() each tick and turns
// each expired session into a closeSession transaction. Session ids embed the
// server id in the top byte, as in ZooKeeper, so ids created by different
// servers never collide.
//
// Owned by one thread (the node core's); no locks.
#ifndef ZABKEEPER_SERVER_SESSION_TRACKER_H_
#define ZABKEEPER_SERVER_SESSION_TRACKER_H_

#include <chrono>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace zabkeeper::server {

class SessionTracker {
 public:
  using Clock = std::chrono::steady_clock;

  SessionTracker(int64_t server_id, int64_t now_ms_wall);

  int64_t NextSessionId();

  // Starts tracking (or refreshes) a session with the given timeout.
  void Track(int64_t session_id, int32_t timeout_ms, Clock::time_point now = Clock::now());
  // Pushes the deadline out; false if the session is unknown or closing.
  bool Touch(int64_t session_id, Clock::time_point now = Clock::now());
  void Remove(int64_t session_id);
  // Forgets every session (a SNAP replaced the state: sessions closed in the
  // history it covers must not linger here and be expired a second time).
  void Clear();
  bool IsLive(int64_t session_id) const;

  // Sessions whose deadline passed; each is returned once and then counts as
  // closing (Touch fails) until Remove.
  std::vector<int64_t> TakeExpired(Clock::time_point now = Clock::now());

  size_t size() const;

 private:
  struct Entry {
    int32_t timeout_ms = 0;
    Clock::time_point deadline;
    bool closing = false;
  };
  absl::flat_hash_map<int64_t, Entry> sessions_;
  int64_t next_id_;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_SESSION_TRACKER_H_
