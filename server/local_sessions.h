// LocalSessions: sessions that live on one server only (ZooKeeper's local
// sessions, `localSessionsEnabled`, and the sessions of a read-only server).
// Creating or closing one is no txn: it costs no round of the quorum, and
// another server does not know it (a client that moves with it is told its
// session expired, as ZooKeeper's clients are). A local session that needs an
// ephemeral node is upgraded to a global one by a createSession txn (with
// `localSessionsUpgradingEnabled`); it stays here, `upgrading`, until that
// txn is applied.
//
// Owned by the node core's thread; no locks. Expiry runs on every server for
// its own local sessions.
#ifndef ZABKEEPER_SERVER_LOCAL_SESSIONS_H_
#define ZABKEEPER_SERVER_LOCAL_SESSIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "server/session_tracker.h"

namespace zabkeeper::server {

// The xid of an upgrade's createSession: no client request has it, so its
// reply matches nothing the client waits for.
inline constexpr int64_t kSessionUpgradeXid = INT64_MIN;

class LocalSessions {
 public:
  struct Session {
    std::string password;
    int32_t timeout_ms = 0;
    bool read_only = false;  // created by a read-only server
    bool upgrading = false;  // its createSession txn is on its way
  };
  using Clock = SessionTracker::Clock;

  void Add(int64_t session_id, Session session, Clock::time_point now);
  // nullptr if unknown.
  const Session* Find(int64_t session_id) const;
  // A session whose writes stay local-session writes: known and not upgrading.
  bool IsLocal(int64_t session_id) const;
  void MarkUpgrading(int64_t session_id);
  // The upgrade was not proposed: the next ephemeral tries again.
  void UpgradeFailed(int64_t session_id);
  // Pushes the deadline out; false if unknown.
  bool Touch(int64_t session_id, Clock::time_point now);
  void Remove(int64_t session_id);
  // Removes the read-only server's sessions (it stops when a quorum is back).
  void RemoveReadOnly();
  // Sessions whose deadline passed, ascending; they are removed.
  std::vector<int64_t> TakeExpired(Clock::time_point now);
  size_t size() const { return sessions_.size(); }

 private:
  absl::flat_hash_map<int64_t, Session> sessions_;
  SessionTracker deadlines_{0, 0};  // ids come from the node's own tracker
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_LOCAL_SESSIONS_H_
