// Per-session watch delivery logs for zkchaos workers (the input of
// watch_check.h).
//
// Entries are appended from the client's callback thread, which runs reply
// callbacks and watch events one at a time in the order the server sent them,
// so each session's log is in delivery order. Reply zxids are lower bounds of
// the reply header's zxid: a getData reply logs the data's mzxid, a setData
// reply its txn's zxid (the server had applied at least that much). A lower
// bound can only hide a late or missing event from the checker, never invent
// one. A data watch is set by getData only when this session has none pending
// on that key: the server keeps one watch per (session, path) and the client
// would fire every local watcher of the path on one event, which would look
// like a duplicate delivery.
//
// Watches that cross a reconnect are not judged: on reattach the client
// re-registers them with SetWatches(last zxid seen) and the server fires at
// once, as ZooKeeper's DataTree.setWatches does, one event for "changed since"
// carrying the node's current mzxid, not the first change's zxid (which
// watch_check.h would report as a missed change). ReadWatchLog drops such a
// watch's set and its event; the "reconnect" lines (from the session's state
// listener, on the same callback thread) mark where.
//
//   wlog <session> <reply|set|event|reconnect> <key> <zxid> <data_zxid>
#ifndef ZABKEEPER_TESTS_CHAOS_WATCH_LOG_H_
#define ZABKEEPER_TESTS_CHAOS_WATCH_LOG_H_

#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/chaos/watch_check.h"

namespace zabkeeper::chaos {

class WatchLog {
 public:
  // True (and marks it pending) if the session has no watch pending on key.
  bool TryArm(SessionId session, const std::string& key);
  void Disarm(SessionId session, const std::string& key);

  void Reply(SessionId session, Zxid zxid);
  void WatchSet(SessionId session, const std::string& key, Zxid data_zxid);
  // A data-change event: logged, and the session's watch on key is no longer
  // pending.
  void Event(SessionId session, const std::string& key, Zxid zxid);
  // The session was reattached after a disconnection.
  void Reconnect(SessionId session);

  // "wlog" lines, in append order.
  std::vector<std::string> Lines() const;

 private:
  struct Entry {
    SessionId session = 0;
    bool reconnect = false;
    WatchDelivery delivery;
  };
  void Add(Entry e);

  mutable std::mutex mu_;
  std::set<std::pair<SessionId, std::string>> pending_;
  std::vector<Entry> log_;
};

// Appends the "wlog" lines of `path` to `sessions` (merged by session id,
// file order kept), without the watches that crossed a reconnect. Returns how
// many watches were dropped so.
int ReadWatchLog(const std::string& path, std::vector<SessionDeliveries>& sessions);

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_WATCH_LOG_H_
