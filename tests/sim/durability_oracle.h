// DurabilityOracle: what a node vouches for must already be on its simulated
// disk. Checked at every step, against the disk (not against what the core
// believes), so a core that acts on a write before the driver reported it
// durable is caught the moment it does, not only if a crash happens to land
// in the window:
//  - an ACK(z) leaves only when the durable log reaches z;
//  - an ACKEPOCH answering LEADERINFO(e) leaves only when acceptedEpoch >= e
//    is on disk (else a crash lets the node promise epoch e twice);
//  - an ACK of NEWLEADER(e, z) leaves only when currentEpoch >= e and the log
//    through z are on disk (ZOOKEEPER-3911);
//  - currentEpoch = e is written only over a durable log that holds the
//    history it vouches for: the leader's own history, or the follower's
//    history up to NEWLEADER (ZOOKEEPER-4643/4646);
//  - a txn is applied only once it is in the durable log.
#ifndef ZABKEEPER_TESTS_SIM_DURABILITY_ORACLE_H_
#define ZABKEEPER_TESTS_SIM_DURABILITY_ORACLE_H_

#include <cstdint>
#include <map>
#include <vector>

#include "consensus/peer.h"
#include "tests/sim/checker.h"
#include "zabkeeper/zab.pb.h"

namespace zab::sim {

// What is on a node's disk right now (written and synced, not pending).
struct DiskView {
  Zxid durable_through;  // last zxid of the durable log, or of the applied state
  Epoch accepted = 0;
  Epoch current = 0;
};

class DurabilityOracle {
 public:
  DurabilityOracle(Checker* checker, int nodes);

  // A new incarnation of `node` starts: what its predecessor was told is gone.
  void OnRestart(int node);
  // `node` is about to handle `m` (LEADERINFO and NEWLEADER are remembered).
  void OnDeliver(int node, const zabkeeper::zab::PeerMessage& m);
  // `node` sends `m` now.
  void OnSend(int node, const zabkeeper::zab::PeerMessage& m, const DiskView& disk);
  // `node` asks for currentEpoch = `epoch` to be written.
  void OnCurrentEpochWrite(int node, Epoch epoch, const Peer& peer, const DiskView& disk);
  // `node` applies `zxid`.
  void OnApply(int node, Zxid zxid, const DiskView& disk);

  uint64_t checks() const { return checks_; }

 private:
  struct Seen {
    std::map<uint64_t, Epoch> leader_info;  // LEADERINFO epoch by session
    Epoch new_leader_epoch = 0;             // last NEWLEADER delivered
    Zxid new_leader_zxid;
  };

  Checker* checker_;
  std::vector<Seen> seen_;
  uint64_t checks_ = 0;
};

}  // namespace zab::sim

#endif  // ZABKEEPER_TESTS_SIM_DURABILITY_ORACLE_H_
