// Ephemeral checker: an ephemeral znode lives exactly as long as its session.
//
// Input per ephemeral: its owner session's life as the owner saw it, and
// observations of the node by other clients. Each observation must be a read
// preceded by a sync in the observer's session, with `invoke` taken before the
// sync: it then reflects the tree at some point inside [invoke, complete].
//
// Guarantees: CheckEphemerals reports
//   kEphemeralEarlyDeletion  the node was seen absent at a point before the
//                            owner's last reply (invoke after the create was
//                            acknowledged, complete before `last_alive`):
//                            it vanished while its session was provably alive;
//   kEphemeralLateDeletion   the node was seen present at a point after the
//                            deadline: the close's acknowledgement, or else
//                            last_alive + session timeout, plus the election
//                            allowance (a leader change may delay expiry, as
//                            the new leader restarts session timers); a fault
//                            that began before that deadline moves it to the
//                            fault's end + timeout + allowance (the leader
//                            elected after it restarts the timers again);
//   kEphemeralResurrected    seen present after an observation that saw it gone.
// Observations between last_alive and the deadline may see either. Anomaly ops
// are indices into the record's observations.
#ifndef ZABKEEPER_TESTS_CHAOS_EPHEMERAL_CHECK_H_
#define ZABKEEPER_TESTS_CHAOS_EPHEMERAL_CHECK_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/chaos/history.h"

namespace zabkeeper::chaos {

struct EphemeralObservation {
  Time invoke = 0;  // before the observer's sync
  Time complete = 0;
  bool present = false;
};

struct EphemeralRecord {
  SessionId session = 0;
  std::string path;
  Time created = 0;            // the create was acknowledged
  Time last_alive = 0;         // the owner's last ok reply (heartbeat or op)
  std::optional<Time> closed;  // the close was acknowledged, if closed explicitly
  Time session_timeout = 0;    // as negotiated
  std::vector<EphemeralObservation> observations;
};

struct EphemeralOptions {
  // Extra time expiry may take across a leader election (e.g. the harness's
  // bound on election time plus a tick).
  Time election_allowance = 0;
  // The run's fault windows [start, end], by start.
  std::vector<std::pair<Time, Time>> disruptions;
};

CheckResult CheckEphemerals(const std::vector<EphemeralRecord>& records,
                            const EphemeralOptions& options);

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_EPHEMERAL_CHECK_H_
