// Checker: the simulator's safety invariants, checked incrementally as
// events happen (O(1) per applied txn):
//  - agreement / total order: every server's applied sequence is a prefix of
//    one global sequence G (compared by a hash chain over zxid and payload);
//  - primary order: zxids strictly increase along G and along every log;
//  - at most one leader establishes itself, and at most one ends discovery,
//    per epoch; a leader ends discovery only with a quorum of counting
//    ACKEPOCHs for its epoch delivered to it, and with none it accepted
//    showing a history ahead of its own;
//  - a txn is first applied only once a quorum holds it durably;
//  - primary integrity / durability: a leader holds every txn of G in its
//    applied state or log, in G's order, when discovery ends (it writes its
//    currentEpoch; unless a later epoch is already established) and again
//    when it establishes itself, so no txn reported committed anywhere is
//    lost across crashes and elections;
//  - election: a LOOKING server never proposes a vote worse, by (currentEpoch,
//    lastZxid, sid), than its own history, so a broken vote order is reported
//    as the safety bug it is instead of later as a hang. (Checking the
//    elected leader's history at the moment it decides would be unsound: a
//    decision on late votes, e.g. a blocked link released, legitimately picks
//    a server without the newest txns; discovery then makes it abdicate.)
//  - the core never had to refuse a message as contradicting what it knew to
//    be committed (Counters::safety_refusals == 0).
// The first violation is kept; later ones are ignored.
#ifndef ZABKEEPER_TESTS_SIM_CHECKER_H_
#define ZABKEEPER_TESTS_SIM_CHECKER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "consensus/peer.h"

namespace zab::sim {

// The simulated application state: how many txns were applied, a hash
// chain over them, and the last zxid. Its snapshot is these three numbers.
struct StateMachine {
  uint64_t count = 0;
  uint64_t hash = 0;
  Zxid last;

  bool operator==(const StateMachine&) const = default;
  std::string Encode() const;
  static bool Decode(const std::string& data, StateMachine* out);
};

uint64_t ChainHash(uint64_t prev, const LogEntry& e);

class Checker {
 public:
  void OnApply(int node, const LogEntry& entry, const StateMachine& after);
  void OnInstall(int node, const StateMachine& sm);
  void OnAppend(int node, Zxid last_written, Zxid zxid);
  // A txn is applied for the first time anywhere: a quorum must hold it in
  // their durable logs (or applied state) already.
  void OnFirstCommit(Zxid zxid, int durable_copies, int quorum);
  // `leader` is about to handle an ACKEPOCH from `from`.
  void OnAckEpochDelivered(int leader, int from, const zabkeeper::zab::AckEpoch& ack);
  void OnRestart(int node) { acks_.erase(node); }
  void OnDiscoveryDone(int node, const Peer& peer, const StateMachine& sm, size_t quorum);
  void OnVoteSent(int node, const Peer& peer, const zabkeeper::zab::Notification& n);
  void OnEstablished(int node, const Peer& peer, const StateMachine& sm);
  void OnSafetyRefusals(int node, uint64_t count);
  void Fail(std::string what);

  bool failed() const { return !violation_.empty(); }
  const std::string& violation() const { return violation_; }
  uint64_t committed_count() const { return zxids_.size(); }
  Zxid last_committed() const { return zxids_.empty() ? Zxid() : zxids_.back(); }
  // Hash of G's first n entries.
  uint64_t hash_at(uint64_t n) const { return hashes_[n]; }

 private:
  std::vector<Zxid> zxids_;          // G
  std::vector<uint64_t> hashes_{0};  // hashes_[k] = chain over G[0..k)
  void CheckHistory(int node, const Peer& peer, const StateMachine& sm, const char* when);

  std::map<Epoch, int> leader_of_epoch_;
  std::map<Epoch, int> discovery_of_epoch_;
  // Per leader (this incarnation), per epoch answered: the last ACKEPOCH
  // delivered from each follower.
  std::map<int, std::map<Epoch, std::map<int, zabkeeper::zab::AckEpoch>>> acks_;
  std::string violation_;
};

}  // namespace zab::sim

#endif  // ZABKEEPER_TESTS_SIM_CHECKER_H_
