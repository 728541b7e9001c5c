#include "tests/sim/checker.h"

#include <cstdio>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace zab::sim {

std::string StateMachine::Encode() const { return absl::StrCat(count, " ", hash, " ", last.raw()); }

bool StateMachine::Decode(const std::string& data, StateMachine* out) {
  unsigned long long c = 0, h = 0, l = 0;
  if (std::sscanf(data.c_str(), "%llu %llu %llu", &c, &h, &l) != 3) return false;
  out->count = c;
  out->hash = h;
  out->last = Zxid::FromRaw(l);
  return true;
}

uint64_t ChainHash(uint64_t prev, const LogEntry& e) {
  // FNV-1a over (prev, zxid, payload): stable across runs and platforms.
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 1099511628211ULL;
    }
  };
  mix(prev);
  mix(e.zxid.raw());
  for (unsigned char c : e.txn) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

void Checker::Fail(std::string what) {
  if (violation_.empty()) violation_ = std::move(what);
}

void Checker::OnApply(int node, const LogEntry& entry, const StateMachine& after) {
  const uint64_t k = after.count - 1;  // index of `entry` in G
  if (k < zxids_.size()) {
    if (zxids_[k] != entry.zxid || hashes_[k + 1] != after.hash) {
      Fail(absl::StrCat("agreement: node ", node, " applied ", entry.zxid.ToString(),
                        " at position ", k, " where others applied ", zxids_[k].ToString(),
                        zxids_[k] == entry.zxid ? " (different txn)" : ""));
    }
    return;
  }
  if (k != zxids_.size()) {
    Fail(absl::StrCat("agreement: node ", node, " applied position ", k, " beyond G (",
                      zxids_.size(), ")"));
    return;
  }
  if (!zxids_.empty() && entry.zxid <= zxids_.back()) {
    Fail(absl::StrCat("primary order: committed ", entry.zxid.ToString(), " after ",
                      zxids_.back().ToString()));
    return;
  }
  zxids_.push_back(entry.zxid);
  hashes_.push_back(after.hash);
}

void Checker::OnInstall(int node, const StateMachine& sm) {
  if (sm.count > zxids_.size() || hashes_[sm.count] != sm.hash ||
      (sm.count > 0 && zxids_[sm.count - 1] != sm.last)) {
    Fail(absl::StrCat("agreement: node ", node, " installed a snapshot at ", sm.last.ToString(),
                      " (", sm.count, " txns) that is not a prefix of the committed sequence"));
  }
}

void Checker::OnFirstCommit(Zxid zxid, int durable_copies, int quorum) {
  if (durable_copies < quorum) {
    Fail(absl::StrCat("durability: ", zxid.ToString(), " was applied while only ", durable_copies,
                      " servers held it durably (quorum ", quorum, ")"));
  }
}

void Checker::OnAppend(int node, Zxid last_written, Zxid zxid) {
  if (zxid <= last_written) {
    Fail(absl::StrCat("log order: node ", node, " appended ", zxid.ToString(), " after ",
                      last_written.ToString()));
  }
}

void Checker::OnAckEpochDelivered(int leader, int from, const zabkeeper::zab::AckEpoch& ack) {
  acks_[leader][static_cast<Epoch>(ack.epoch())][from] = ack;
}

void Checker::OnDiscoveryDone(int node, const Peer& peer, const StateMachine& sm, size_t quorum) {
  {
    const auto& acks = acks_[node][peer.accepted_epoch()];
    size_t counting = 1;  // the leader's own promise
    for (const auto& [from, ack] : acks) {
      if (!ack.already_accepted()) ++counting;
    }
    // No follower whose ACKEPOCH the leader accepted is ahead of it. (Not
    // every ACKEPOCH delivered: one lost with a broken link and replayed later
    // is rightly ignored, its session gone, even when it shows more.)
    const auto ours = std::make_tuple(peer.current_epoch(), peer.last_zxid());
    for (const auto& [sid, theirs] : peer.EpochAckHistories()) {
      if (std::make_tuple(theirs.first, theirs.second) > ours) {
        Fail(absl::StrCat("discovery: node ", node, " ended discovery of epoch ",
                          peer.accepted_epoch(), " although server ", sid, " is ahead (epoch ",
                          theirs.first, ", ", theirs.second.ToString(), ")"));
        return;
      }
    }
    if (counting < quorum) {
      Fail(absl::StrCat("discovery: node ", node, " ended discovery of epoch ",
                        peer.accepted_epoch(), " with ", counting, " counting promises (quorum ",
                        quorum, ")"));
      return;
    }
  }
  // Each server counts toward one attempt per epoch (a promise is durable and
  // an equal-epoch ACKEPOCH does not count), so two attempts can never both
  // gather a quorum for one epoch, stale messages or not.
  const Epoch epoch = peer.accepted_epoch();
  if (auto [it, inserted] = discovery_of_epoch_.emplace(epoch, node);
      !inserted && it->second != node) {
    Fail(absl::StrCat("two leaders ended discovery in epoch ", epoch, ": nodes ", it->second,
                      " and ", node));
    return;
  }
  // Only while no later epoch is established: ACKEPOCHs may reach a leader
  // late (a link breaks, their bytes arrive on the next connection), so an
  // attempt can finish discovery on promises its followers have since
  // superseded, after a later leader committed more. Such an attempt can
  // never establish (NEWLEADER acks are current); the check at
  // establishment covers it.
  if (!leader_of_epoch_.empty() && leader_of_epoch_.rbegin()->first > peer.accepted_epoch()) {
    return;
  }
  CheckHistory(node, peer, sm, "ended discovery");
}

void Checker::OnVoteSent(int node, const Peer& peer, const zabkeeper::zab::Notification& n) {
  if (n.state() != zabkeeper::zab::LOOKING) return;
  // The vote order written out here, not taken from consensus/vote.h, so a
  // bug there cannot hide from it.
  const auto sent = std::make_tuple(static_cast<Epoch>(n.peer_epoch()), n.zxid(), n.leader());
  const auto own = std::make_tuple(peer.current_epoch(), peer.last_zxid().raw(), peer.sid());
  if (sent < own) {
    Fail(absl::StrCat("election: node ", node, " proposes (epoch ", n.peer_epoch(), ", ",
                      Zxid::FromRaw(n.zxid()).ToString(), ", sid ", n.leader(),
                      "), worse than its own history (epoch ", peer.current_epoch(), ", ",
                      peer.last_zxid().ToString(), ")"));
  }
  // Nor may a vote for itself claim more history than its log holds: such a
  // node could win on a history it no longer has.
  if (n.leader() == peer.sid() && sent > own) {
    Fail(absl::StrCat("election: node ", node, " proposes itself with (epoch ", n.peer_epoch(),
                      ", ", Zxid::FromRaw(n.zxid()).ToString(),
                      "), more than its log holds (epoch ", peer.current_epoch(), ", ",
                      peer.last_zxid().ToString(), ")"));
  }
}

void Checker::OnEstablished(int node, const Peer& peer, const StateMachine& sm) {
  Epoch epoch = peer.current_epoch();
  auto [it, inserted] = leader_of_epoch_.emplace(epoch, node);
  if (!inserted && it->second != node) {
    Fail(absl::StrCat("two leaders in epoch ", epoch, ": nodes ", it->second, " and ", node));
    return;
  }
  CheckHistory(node, peer, sm, "established its epoch");
}

void Checker::CheckHistory(int node, const Peer& peer, const StateMachine& sm, const char* when) {
  // The leader's history must extend every committed txn.
  if (sm.count > zxids_.size()) return;  // checked by OnApply
  const LogWindow& log = peer.log();
  size_t i = log.UpperBound(sm.last);
  uint64_t h = sm.hash;
  for (uint64_t k = sm.count; k < zxids_.size(); ++k, ++i) {
    if (i >= log.size() || log.at(i).zxid != zxids_[k] ||
        (h = ChainHash(h, log.at(i))) != hashes_[k + 1]) {
      Fail(absl::StrCat("durability: node ", node, " ", when, " (epoch ", peer.accepted_epoch(),
                        ") without committed txn ", zxids_[k].ToString()));
      return;
    }
  }
}

void Checker::OnSafetyRefusals(int node, uint64_t count) {
  if (count > 0) {
    Fail(absl::StrCat("safety refusal: node ", node,
                      " got a message contradicting its committed state"));
  }
}

}  // namespace zab::sim
