// Session-order checker: ZooKeeper's per-session promise for reads.
//
// ZooKeeper does not make reads linearizable (a follower may answer from a
// state that is behind the leader), but within one session (which survives
// reconnects to other servers) it promises:
//
//   kFifoViolation       replies complete in the order requests were issued;
//   kReadYourWrites      a read of a key returns a state no older than the
//                        session's own earlier write to it;
//   kMonotonicRead       a read of a key never returns a state older than one
//                        the session already read for that key;
//   kReadOlderThanSession
//                        a read never comes from a server state older than
//                        one the session has already seen on any key: if the
//                        session saw zxid Z, a read of k returns at least the
//                        latest acknowledged write to k with zxid <= Z (this is
//                        what reconnecting with lastZxidSeen guarantees);
//   kSyncViolation       a read issued after a completed sync returns a state
//                        no older than every write acknowledged (completed ok,
//                        any session) before that sync was invoked.
//
// "Older" compares mzxid when both sides recorded one, else Stat.version when
// both recorded one; ops with neither are not compared. Issue order is invoke
// order within a session. Only ok ops establish what a session has seen:
// indeterminate writes may not have happened, so they prove nothing.
// A stale read that breaks none of these is allowed and not reported.
#ifndef ZABKEEPER_TESTS_CHAOS_SESSION_ORDER_H_
#define ZABKEEPER_TESTS_CHAOS_SESSION_ORDER_H_

#include "tests/chaos/history.h"

namespace zabkeeper::chaos {

CheckResult CheckSessionOrder(const History& history);

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_SESSION_ORDER_H_
