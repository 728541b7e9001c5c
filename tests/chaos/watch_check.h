// Watch checker: ZooKeeper's one-shot data watches, per session.
//
// Input: for each session, everything the client saw in the order it saw it:
// replies (with the reply header's zxid, the server's last applied zxid),
// replies that set a data watch (getData/exists with watch=true: the key and
// the mzxid of the data returned) and watch events (key and the zxid of the
// change, from the notification header). Plus, per key, the zxids of its
// known changes (ChangesFromHistory: the acknowledged writes).
//
// Guarantees: CheckWatches reports
//   kWatchDuplicated    the same (key, zxid) event twice in a session;
//   kWatchOutOfOrder    an event with a smaller zxid than an earlier event;
//   kWatchSpurious      an event on a key with no pending watch, or for a
//                       change at or before the data the watch was set on;
//   kWatchMissedChange  an event for a later change than the first known
//                       change after the watch was set (it skipped one);
//   kWatchLate          the event arrived after a reply whose zxid is at or
//                       past the change (ZooKeeper sends the event before any
//                       reply reflecting the change: "a client sees the watch
//                       event before it sees the new data");
//   kWatchMissing       a reply at or past the change arrived, and the event
//                       never did.
// A watch whose change no later reply reflects is not judged (the session may
// have ended first). Changes unknown to the checker (indeterminate writes that
// took effect) can fire a watch earlier than the first known change; that is
// accepted. Anomaly ops are indices into the session's delivery log.
// Re-registration on reconnect is the client library's job and invisible
// here: a watch set once stays pending across reconnects until it fires.
#ifndef ZABKEEPER_TESTS_CHAOS_WATCH_CHECK_H_
#define ZABKEEPER_TESTS_CHAOS_WATCH_CHECK_H_

#include <map>
#include <string>
#include <vector>

#include "tests/chaos/history.h"

namespace zabkeeper::chaos {

struct WatchDelivery {
  enum class Kind { kReply, kWatchSet, kEvent };
  Kind kind = Kind::kReply;
  std::string key;  // kWatchSet, kEvent
  Zxid zxid;        // kReply/kWatchSet: reply header zxid; kEvent: the change's zxid
  Zxid data_zxid;   // kWatchSet: mzxid of the data returned
};

struct SessionDeliveries {
  SessionId session = 0;
  std::vector<WatchDelivery> log;  // in the order the client saw them
};

// key -> zxids of its changes, ascending.
using KeyChanges = std::map<std::string, std::vector<Zxid>>;

// The changes the history proves: ok kWrite/kCas with a recorded zxid.
KeyChanges ChangesFromHistory(const History& history);

CheckResult CheckWatches(const std::vector<SessionDeliveries>& sessions, const KeyChanges& changes);

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_WATCH_CHECK_H_
