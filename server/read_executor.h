// ReadExecutor: executes the requests that change no replicated state
// (getData, exists, getChildren, multiRead, getACL, ephemerals, watches and
// their re-registration, auth) against a server's applied state, in the
// session's order (Connection decides when). Not thread-safe: the caller
// holds whatever guards the state, for reading.
#ifndef ZABKEEPER_SERVER_READ_EXECUTOR_H_
#define ZABKEEPER_SERVER_READ_EXECUTOR_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "server/connection.h"
#include "server/state_machine.h"
#include "server/watch_manager.h"
#include "zabkeeper/client.pb.h"

namespace zabkeeper::server {

// Recent deletes (zxid, path), for recursive watches catching up after a
// reattach. Bounded by kMax; the oldest go first.
class RecentDeletes {
 public:
  static constexpr size_t kMax = 100000;
  void Add(Zxid zxid, const std::string& path);
  const std::deque<std::pair<Zxid, std::string>>& entries() const { return entries_; }

 private:
  std::deque<std::pair<Zxid, std::string>> entries_;
};

// Per-request limits (0 = unlimited): maxWatchesPerSession and
// maxChildrenPerReply of zoo.cfg.
struct ReadLimits {
  size_t max_watches_per_session = 0;
  size_t max_children_per_reply = 0;
};

class ReadExecutor {
 public:
  ReadExecutor(const StateMachine& state, WatchManager& watches, const RecentDeletes& deletes,
               std::string super_digest, ReadLimits limits = {})
      : state_(state),
        watches_(watches),
        deletes_(deletes),
        super_digest_(std::move(super_digest)),
        limits_(limits) {}

  // Appends the reply to `out`, after the watch events SetWatches fires.
  void Execute(int64_t session_id, Connection& conn, const proto::Request& request,
               std::vector<proto::Response>* out);

 private:
  void FillRead(int64_t session_id, Connection& conn, const proto::Request& request,
                proto::Response* response);
  void CatchUpSubtree(const std::string& root, Zxid rel, std::vector<proto::Response>* events);
  void SetWatches(int64_t session_id, const proto::SetWatchesRequest& req,
                  std::vector<proto::Response>* events);
  // Whether `session_id` may add this watch under maxWatchesPerSession (one
  // it already holds is always fine).
  bool MayWatch(const std::string& path, int64_t session_id, WatchKind kind) const;

  const StateMachine& state_;
  WatchManager& watches_;
  const RecentDeletes& deletes_;
  const std::string super_digest_;
  const ReadLimits limits_;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_READ_EXECUTOR_H_
