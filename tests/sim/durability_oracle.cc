#include "tests/sim/durability_oracle.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace zab::sim {

using zabkeeper::zab::PeerMessage;

DurabilityOracle::DurabilityOracle(Checker* checker, int nodes)
    : checker_(checker), seen_(static_cast<size_t>(nodes)) {}

void DurabilityOracle::OnRestart(int node) { seen_[static_cast<size_t>(node)] = Seen(); }

void DurabilityOracle::OnDeliver(int node, const PeerMessage& m) {
  Seen& s = seen_[static_cast<size_t>(node)];
  if (m.has_leader_info()) {
    s.leader_info[m.leader_info().session()] = static_cast<Epoch>(m.leader_info().new_epoch());
  } else if (m.has_new_leader()) {
    s.new_leader_epoch = static_cast<Epoch>(m.new_leader().epoch());
    s.new_leader_zxid = Zxid::FromRaw(m.new_leader().zxid());
  }
}

void DurabilityOracle::OnSend(int node, const PeerMessage& m, const DiskView& disk) {
  const Seen& s = seen_[static_cast<size_t>(node)];
  if (m.has_ack()) {
    ++checks_;
    const Zxid z = Zxid::FromRaw(m.ack().zxid());
    if (disk.durable_through < z) {
      checker_->Fail(absl::StrCat("durability oracle: node ", node, " sent ",
                                  m.ack().new_leader() ? "ACK(NEWLEADER) " : "ACK ", z.ToString(),
                                  " but its durable log ends at ",
                                  disk.durable_through.ToString()));
      return;
    }
    if (m.ack().new_leader() && disk.current < s.new_leader_epoch) {
      checker_->Fail(absl::StrCat("durability oracle: node ", node, " acked NEWLEADER(epoch ",
                                  s.new_leader_epoch, ") with currentEpoch ", disk.current,
                                  " on disk"));
    }
  } else if (m.has_ack_epoch()) {
    ++checks_;
    // Recovery takes acceptedEpoch as max(acceptedEpoch, currentEpoch): a
    // durable currentEpoch is a durable promise too (ZOOKEEPER-2307).
    const Epoch promised = std::max(disk.accepted, disk.current);
    auto it = s.leader_info.find(m.ack_epoch().session());
    if (it != s.leader_info.end() && promised < it->second) {
      checker_->Fail(absl::StrCat("durability oracle: node ", node, " sent ACKEPOCH for epoch ",
                                  it->second, " with acceptedEpoch ", disk.accepted, " on disk"));
    }
  }
}

void DurabilityOracle::OnCurrentEpochWrite(int node, Epoch epoch, const Peer& peer,
                                           const DiskView& disk) {
  ++checks_;
  const Seen& s = seen_[static_cast<size_t>(node)];
  // A leader proposes nothing before it is established, so its whole log is
  // the history it starts the epoch from.
  Zxid vouched;
  if (peer.role() == Role::kLeading) {
    vouched = peer.last_zxid();
  } else if (epoch == s.new_leader_epoch) {
    vouched = s.new_leader_zxid;
  }
  if (disk.durable_through < vouched) {
    checker_->Fail(absl::StrCat("durability oracle: node ", node, " writes currentEpoch ", epoch,
                                " over a log durable only to ", disk.durable_through.ToString(),
                                " while its history ends at ", vouched.ToString()));
  }
}

void DurabilityOracle::OnApply(int node, Zxid zxid, const DiskView& disk) {
  ++checks_;
  if (disk.durable_through < zxid) {
    checker_->Fail(absl::StrCat("durability oracle: node ", node, " applies ", zxid.ToString(),
                                " but its durable log ends at ", disk.durable_through.ToString()));
  }
}

}  // namespace zab::sim
