// Peer: one ZAB participant as a deterministic state machine.
//
// No threads, sockets, clocks or files: the driver (the server, or the
// simulator) feeds it messages (Step), time (Tick), client writes (Propose)
// and completion notices for the writes it asked for (Persisted,
// AcceptedEpochPersisted, CurrentEpochPersisted, SnapshotReady), plus
// connection changes. Everything the core wants done comes back in a Ready
// batch (consensus/types.h says in which order the driver must carry it out).
//
// Guarantees, given a driver that honours the Ready contract:
//  - an epoch is acted on (LEADERINFO acked, NEWLEADER acked) only after the
//    driver reported it durable;
//  - a proposal is ACKed, and NEWLEADER acknowledged, only once the log is
//    durable through it; currentEpoch is written only after the log it
//    vouches for is durable, on a follower (the synced history) and on a
//    leader (its own history, which may still be in flight when it is
//    re-elected) alike (ZOOKEEPER-4643/4646);
//  - commits are handed out strictly in zxid order and only for entries that
//    are durable on this server, so applied state never runs ahead of the log;
//  - the same inputs always produce the same outputs (randomness comes from
//    PeerConfig::random_seed only).
//
// Role logic lives in separate files: election.cc (LOOKING), discovery.cc,
// sync.cc and broadcast.cc (LEADING / FOLLOWING phases).
#ifndef ZABKEEPER_CONSENSUS_PEER_H_
#define ZABKEEPER_CONSENSUS_PEER_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "consensus/log_window.h"
#include "consensus/types.h"
#include "consensus/vote.h"
#include "consensus/zxid.h"
#include "zabkeeper/zab.pb.h"

namespace zab {

class Peer {
 public:
  Peer(PeerConfig config, PersistentState state);

  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // ---- Inputs --------------------------------------------------------------
  void Tick();
  void Step(ServerId from, const zabkeeper::zab::PeerMessage& message);
  // Leader only, once established. Returns the zxid assigned to `txn`.
  // FailedPrecondition if not leader, Unavailable if not yet established, if
  // too many proposals are outstanding, or if the zxid counter is exhausted
  // (the leader then steps down so that a new epoch starts).
  absl::StatusOr<Zxid> Propose(std::string txn);
  // The same, with the txn made by `prepare` from the zxid it gets: zxids
  // are assigned here and only here, and `prepare` runs only for a proposal
  // that is accepted (never for one refused, so nothing is prepared twice).
  absl::StatusOr<Zxid> Propose(absl::FunctionRef<std::string(Zxid)> prepare);
  // All appends up to and including `zxid` are durable.
  void Persisted(Zxid zxid);
  void AcceptedEpochPersisted(Epoch epoch);
  void CurrentEpochPersisted(Epoch epoch);
  // Leader: the snapshot asked for by a SnapshotRequest.
  void SnapshotReady(ServerId follower, Zxid zxid, std::string data);
  // The transport to `sid` came up / went down. Messages sent while down are
  // lost; per connection, delivery is FIFO.
  void PeerConnected(ServerId sid);
  void PeerDisconnected(ServerId sid);

  // ---- Output --------------------------------------------------------------
  bool HasReady() const;
  // Moves the pending batch out (etcd's Ready + Advance in one call: every
  // effect that matters is confirmed by an explicit input later).
  Ready TakeReady();

  // ---- Observers -----------------------------------------------------------
  ServerId sid() const { return config_.sid; }
  Role role() const { return role_; }
  ServerId leader() const { return leader_; }
  Epoch accepted_epoch() const { return accepted_epoch_; }
  Epoch current_epoch() const { return current_epoch_; }
  // Leader with a quorum synced: may Propose.
  bool IsEstablishedLeader() const;
  // Follower that received UPTODATE.
  bool IsServingFollower() const;
  // Leader: each synced follower's cumulative durable ack (for lag metrics);
  // empty when not leading.
  std::map<ServerId, Zxid> FollowerAcks() const;
  // Leader: the (currentEpoch, lastZxid) each follower reported in the
  // ACKEPOCH this attempt accepted (for the simulator's checks); empty when
  // not leading.
  std::map<ServerId, std::pair<Epoch, Zxid>> EpochAckHistories() const;
  RoleState role_state() const;
  Zxid last_zxid() const { return log_.last(); }
  Zxid persisted_zxid() const { return persisted_; }
  Zxid committed_zxid() const { return committed_; }
  Zxid applied_zxid() const { return applied_; }
  const LogWindow& log() const { return log_; }
  const Counters& counters() const { return counters_; }
  const Vote& current_vote() const { return election_.proposal; }
  uint64_t logical_clock() const { return election_.logical_clock; }

 private:
  // ---- Election state (election.cc). Kept across roles: a FOLLOWING/LEADING
  // server answers LOOKING peers with the vote it decided on.
  struct ReceivedVote {
    Vote vote;
    uint64_t round = 0;
    zabkeeper::zab::ServerState state = zabkeeper::zab::LOOKING;
  };
  struct ElectionState {
    uint64_t logical_clock = 0;
    Vote proposal;
    std::map<ServerId, ReceivedVote> received;         // LOOKING votes this round
    std::map<ServerId, ReceivedVote> out_of_election;  // FOLLOWING/LEADING votes
    std::optional<uint64_t> finalize_at_tick;          // quorum reached; decide then
    uint64_t notify_interval = 0;                      // ticks, doubles to the cap
    uint64_t next_notify_tick = 0;
  };

  // ---- Leader state (discovery.cc, sync.cc, broadcast.cc).
  enum class LeaderPhase {
    kCollectingInfo,       // waiting for a quorum of FOLLOWERINFO
    kPersistingAccepted,   // acceptedEpoch = new epoch being written
    kCollectingEpochAcks,  // LEADERINFO sent; waiting for a quorum of ACKEPOCH
    kPersistingCurrent,    // currentEpoch = new epoch being written
    kSyncing,              // syncing followers; waiting for a quorum of NEWLEADER acks
    kEstablished,          // broadcasting
  };
  enum class HandlerState {
    kInfoReceived,  // FOLLOWERINFO in; LEADERINFO not sent yet
    kEpochSent,     // LEADERINFO sent
    kEpochAcked,    // ACKEPOCH in; sync not started
    kSyncing,       // DIFF/TRUNC/SNAP .. NEWLEADER queued; proposals forwarded
    kSynced,        // NEWLEADER acked: counts for commit quorums
  };
  struct FollowerHandler {
    HandlerState state = HandlerState::kInfoReceived;
    uint64_t session = 0;
    Epoch accepted_epoch = 0;
    Epoch current_epoch = 0;
    Zxid last_zxid;
    bool epoch_ack_counts = false;
    Zxid acked;  // cumulative durable ack (valid once kSynced)
    uint64_t last_heard_tick = 0;
    // While a SNAP is being produced every message for this follower waits
    // here, so the stream stays in order: SNAP, history, NEWLEADER, proposals.
    bool awaiting_snapshot = false;
    Zxid snapshot_zxid;
    std::vector<zabkeeper::zab::PeerMessage> held;  // <= max_held_messages
  };
  struct LeaderState {
    LeaderPhase phase = LeaderPhase::kCollectingInfo;
    uint64_t phase_started_tick = 0;
    Epoch new_epoch = 0;
    Zxid history_end;  // last zxid of the history this leader starts from
    std::map<ServerId, FollowerHandler> followers;
    Zxid commit_sent;  // highest COMMIT broadcast
  };

  // ---- Follower state (discovery.cc, sync.cc, broadcast.cc).
  enum class FollowerPhase {
    kAwaitLeaderInfo,
    kPersistingAccepted,
    kSyncing,            // ACKEPOCH sent; receiving DIFF/TRUNC/SNAP and history
    kAwaitLogDurable,    // NEWLEADER in; waiting for the synced log to be durable
    kPersistingCurrent,  // then currentEpoch is written
    kAwaitUpToDate,      // NEWLEADER acked
    kBroadcast,          // UPTODATE in: serving
  };
  struct FollowerState {
    FollowerPhase phase = FollowerPhase::kAwaitLeaderInfo;
    uint64_t session = 0;
    bool info_sent = false;
    bool sync_started = false;     // DIFF/TRUNC/SNAP seen
    bool epoch_ack_counts = true;  // our ACKEPOCH for new_epoch counts
    uint64_t last_heard_tick = 0;
    Epoch new_epoch = 0;
    Zxid newleader_zxid;
    Zxid acked;  // highest ACK sent
    // Highest append whose ACK the driver sends (driver_acks_appends).
    Zxid driver_acked;
  };

  // peer.cc
  size_t Quorum() const { return config_.voters.size() / 2 + 1; }
  bool IsVoter(ServerId sid) const;
  void Send(ServerId to, zabkeeper::zab::PeerMessage message);
  void AppendToLog(LogEntry entry);
  void TruncateLogAfter(Zxid zxid);
  void InstallSnapshot(Zxid zxid, std::string data);
  void MaybeApply();
  void ReportRole();
  // Protocol contradiction: count it, log it and start over.
  void SafetyRefusal(const std::string& why);

  // election.cc
  void StartLooking(const char* why);
  Vote SelfVote() const;
  void RefreshSelfVote();
  // Takes `vote` as our proposal in `round` and tells every voter.
  void AdoptProposal(const Vote& vote, uint64_t round);
  void StepLooking(ServerId from, const zabkeeper::zab::PeerMessage& message);
  void HandleNotification(ServerId from, const zabkeeper::zab::Notification& n);
  void AnswerNotification(ServerId to, const zabkeeper::zab::Notification& n);
  void SendNotification(ServerId to);
  void BroadcastNotifications();
  bool HasQuorumFor(const std::map<ServerId, ReceivedVote>& votes, const Vote& vote,
                    bool compare_leader_only) const;
  bool LeaderConfirmed(ServerId leader, uint64_t round) const;
  void Decide(const Vote& vote);
  void TickLooking();

  // discovery.cc
  void BecomeLeader();
  void BecomeFollower(ServerId leader);
  void StepLeading(ServerId from, const zabkeeper::zab::PeerMessage& message);
  void StepFollowing(ServerId from, const zabkeeper::zab::PeerMessage& message);
  void LeaderOnFollowerInfo(ServerId from, const zabkeeper::zab::FollowerInfo& info);
  void LeaderMaybeProposeEpoch();
  void LeaderOnAcceptedEpochPersisted();
  void LeaderOnAckEpoch(ServerId from, const zabkeeper::zab::AckEpoch& ack);
  void LeaderMaybeFinishDiscovery();
  void LeaderOnCurrentEpochPersisted();
  void FollowerSendInfo();
  void FollowerOnLeaderInfo(const zabkeeper::zab::LeaderInfo& info);
  void FollowerSendAckEpoch(bool already_accepted);
  void TickLeading();
  void TickFollowing();

  // sync.cc
  void LeaderStartSync(ServerId sid, FollowerHandler& h);
  void LeaderOnNewLeaderAck(ServerId sid, FollowerHandler& h, Zxid zxid);
  void LeaderMaybeEstablish();
  void SendToFollower(ServerId sid, FollowerHandler& h, zabkeeper::zab::PeerMessage message);
  void FollowerOnSyncMessage(const zabkeeper::zab::PeerMessage& message);
  void FollowerOnNewLeader(const zabkeeper::zab::NewLeader& nl);
  void FollowerMaybeAckNewLeader();
  void FollowerOnCurrentEpochPersisted();
  void FollowerOnUpToDate(const zabkeeper::zab::UpToDate& u);

  // broadcast.cc
  void LeaderOnAck(ServerId from, const zabkeeper::zab::Ack& ack);
  void LeaderMaybeCommit();
  void LeaderFlushCommits();
  void FollowerOnProposal(const zabkeeper::zab::Proposal& p);
  void FollowerOnCommit(const zabkeeper::zab::Commit& c);
  void FollowerMaybeAck();

  uint64_t NextRandom();

  const PeerConfig config_;
  uint64_t rng_state_;
  uint64_t tick_ = 0;

  // Durable state as acknowledged by the driver. Invariants:
  //   applied_ <= committed_ and applied_ <= persisted_ <= log_.last();
  //   promised_epoch_ >= accepted_epoch_ >= current_epoch_.
  Epoch accepted_epoch_ = 0;
  // Highest acceptedEpoch asked of the driver, durable or not yet.
  Epoch promised_epoch_ = 0;
  Epoch Promised() const { return std::max(accepted_epoch_, promised_epoch_); }
  Epoch current_epoch_ = 0;
  LogWindow log_;
  Zxid persisted_;
  Zxid committed_;
  Zxid applied_;

  Role role_ = Role::kLooking;
  ServerId leader_ = 0;
  std::set<ServerId> connected_;
  uint64_t next_session_ = 0;

  ElectionState election_;
  std::optional<LeaderState> lead_;
  std::optional<FollowerState> follow_;
  // FOLLOWERINFO that arrived while we were still LOOKING: a peer may decide
  // before we do. Used if we become leader; dropped otherwise.
  std::map<ServerId, zabkeeper::zab::FollowerInfo> early_follower_info_;

  Ready ready_;
  RoleState reported_role_;
  Counters counters_;
};

}  // namespace zab

#endif  // ZABKEEPER_CONSENSUS_PEER_H_
