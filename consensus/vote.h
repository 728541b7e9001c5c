// Vote: a fast-leader-election vote and its total order.
//
// A vote beats another by (epoch, zxid, leader sid), lexicographically
// (ZooKeeper's totalOrderPredicate). Being a lexicographic order over a tuple
// it is total, antisymmetric and transitive, so no vote cycles can form
// (ZOOKEEPER-1419 was a predicate that was not).
#ifndef ZABKEEPER_CONSENSUS_VOTE_H_
#define ZABKEEPER_CONSENSUS_VOTE_H_

#include <string>
#include <tuple>

#include "consensus/zxid.h"

namespace zab {

struct Vote {
  ServerId leader = 0;  // proposed leader
  Zxid zxid;            // its last zxid
  Epoch epoch = 0;      // its currentEpoch

  bool operator==(const Vote&) const = default;
  std::string ToString() const;
};

// True if `a` is strictly better than `b`.
inline bool Beats(const Vote& a, const Vote& b) {
  return std::tie(a.epoch, a.zxid, a.leader) > std::tie(b.epoch, b.zxid, b.leader);
}

}  // namespace zab

#endif  // ZABKEEPER_CONSENSUS_VOTE_H_
