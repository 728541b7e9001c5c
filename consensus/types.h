// Plain value types shared by the ZAB core and its drivers: log entries, the
// configuration, the recovered persistent state and the Ready batch.
//
// The driver contract (also in docs/ZAB.md): after any input, take the Ready
// batch with Peer::TakeReady() and carry it out in this order:
//   1. install_snapshot  durably replace applied state AND log (synchronously);
//   2. truncate_after    durably drop log entries after the zxid (synchronously);
//   3. append            append to the log; report Peer::Persisted(z) once all
//                        appends up to z are durable (group commit is fine);
//   4. persist_*_epoch   write acceptedEpoch / currentEpoch durably, then report
//                        AcceptedEpochPersisted / CurrentEpochPersisted;
//   5. commit            apply to the state machine in order;
//   6. snapshot_requests (leader) snapshot the applied state (which after step 5
//                        is exactly at the requested zxid) and hand the bytes to
//                        Peer::SnapshotReady, now or later;
//   7. messages          send, per destination in order.
// Steps 1 and 2 must be complete before the next call into the core; 3 and 4
// may complete later: the core never acts on a write before its ack.
#ifndef ZABKEEPER_CONSENSUS_TYPES_H_
#define ZABKEEPER_CONSENSUS_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "consensus/log_entry.h"
#include "consensus/zxid.h"
#include "zabkeeper/zab.pb.h"

namespace zab {

enum class Role { kLooking, kFollowing, kLeading };
const char* RoleName(Role role);

struct PeerConfig {
  ServerId sid = 0;
  std::vector<ServerId> voters;  // includes sid; 3 or 5 servers

  // Ticks are the only clock. A follower in discovery/sync (and a leader not
  // yet established) gives up after init_limit_ticks without progress; in
  // broadcast, silence from the leader (or from a quorum, for the leader) for
  // sync_limit_ticks ends the term.
  int init_limit_ticks = 10;
  int sync_limit_ticks = 5;
  // Election: resend notifications after base ticks of silence, doubling up to
  // cap (plus seeded jitter); decide after finalize_wait_ticks without a
  // better vote once a quorum agrees.
  int election_timeout_base_ticks = 2;
  int election_timeout_cap_ticks = 16;
  int finalize_wait_ticks = 1;

  // Committed entries kept in memory for DIFF, at most this many and at
  // most this many payload bytes in the whole window. Older => SNAP.
  size_t committed_log_window = 10000;
  size_t committed_log_bytes = size_t{256} << 20;
  // Bound on proposals the leader has outstanding (uncommitted).
  size_t max_outstanding_proposals = 10000;
  // Bound on messages held for a follower while its SNAP is being produced.
  size_t max_held_messages = 100000;
  // Highest counter a leader may NOT use: ZooKeeper forces a new epoch when
  // the counter reaches 0xffffffff. Tests lower it to exercise rollover.
  uint32_t counter_limit = Zxid::kMaxCounter;

  uint64_t random_seed = 1;  // the core's only source of randomness

  // A follower in broadcast leaves the ACK of its appended proposals to the
  // driver: Ready::ack_appends_to names the leader, and the driver sends
  // ACK(last appended zxid) itself once the appends are durable, from the
  // thread that made them durable (ZooKeeper's SyncRequestProcessor ->
  // SendAckRequestProcessor), without a round trip through the core. Off,
  // the core sends the ACK when Persisted reports the write.
  bool driver_acks_appends = false;
};

// What the driver recovered from disk at start.
struct PersistentState {
  Epoch accepted_epoch = 0;
  Epoch current_epoch = 0;
  // Last zxid reflected in the recovered (applied) state machine.
  Zxid applied;
  // Durable log, ascending zxids. Must hold every entry after `applied`; may
  // also hold older (committed) entries, which the core keeps for DIFF.
  std::vector<LogEntry> log;
};

struct OutMessage {
  ServerId to = 0;
  zabkeeper::zab::PeerMessage message;
};

// Leader: produce a snapshot of the applied state at `zxid` for `follower`.
struct SnapshotRequest {
  ServerId follower = 0;
  Zxid zxid;
};

// Follower: the state machine must become `data` (as of `zxid`) and the log
// must become empty, atomically and durably.
struct SnapshotInstall {
  Zxid zxid;
  std::string data;
};

struct RoleState {
  Role role = Role::kLooking;
  ServerId leader = 0;  // 0 while looking
  Epoch epoch = 0;      // currentEpoch
  // Leader: a quorum acknowledged NEWLEADER (it may propose). Follower: got
  // UPTODATE (it serves).
  bool established = false;

  bool operator==(const RoleState&) const = default;
};

struct Ready {
  std::vector<OutMessage> messages;
  std::optional<SnapshotInstall> install_snapshot;
  std::optional<Zxid> truncate_after;
  std::vector<LogEntry> append;
  // Set only with PeerConfig::driver_acks_appends: once every entry of
  // `append` is durable (and before reporting Persisted), send this server
  // ACK(append.back().zxid) -- but not if a truncation below that zxid was
  // made durable first. The core sends no ACK of its own for them.
  std::optional<ServerId> ack_appends_to;
  std::optional<Epoch> persist_accepted_epoch;
  std::optional<Epoch> persist_current_epoch;
  std::vector<LogEntry> commit;
  std::vector<SnapshotRequest> snapshot_requests;
  std::optional<RoleState> role;  // set when it changed

  bool empty() const {
    return messages.empty() && !install_snapshot && !truncate_after && append.empty() &&
           !persist_accepted_epoch && !persist_current_epoch && commit.empty() &&
           snapshot_requests.empty() && !role;
  }
};

// Monotonic counters for metrics and tests.
struct Counters {
  uint64_t elections = 0;       // times LOOKING was entered
  uint64_t proposals = 0;       // leader: proposals issued
  uint64_t commits = 0;         // entries handed out for apply
  uint64_t sync_diff = 0;       // leader: followers synced by DIFF
  uint64_t sync_trunc = 0;      // leader: ... by TRUNC (then DIFF)
  uint64_t sync_snap = 0;       // leader: ... by SNAP
  uint64_t established = 0;     // leader: epochs established
  uint64_t epoch_refusals = 0;  // follower: refused a stale LEADERINFO
  // Messages that contradict what the core knows to be committed (e.g. a
  // TRUNC below the commit point). The core refuses them and re-elects; a
  // correct ensemble never produces one, so the simulator asserts zero.
  uint64_t safety_refusals = 0;
};

}  // namespace zab

#endif  // ZABKEEPER_CONSENSUS_TYPES_H_
