// What a running node tells its operators: the facts behind the admin
// commands (srvr, mntr, ...) and the Prometheus metrics.
#ifndef ZABKEEPER_SERVER_NODE_STATUS_H_
#define ZABKEEPER_SERVER_NODE_STATUS_H_

#include <cstdint>
#include <map>
#include <string>

#include "consensus/types.h"
#include "consensus/zxid.h"

namespace zabkeeper::server {

// How many txns `to` is past `from`. Counters compare only within an epoch,
// so across epochs (or when `to` is not past `from`) it is zero.
inline uint64_t TxnsBetween(::zab::Zxid from, ::zab::Zxid to) {
  return from.epoch() == to.epoch() && to > from ? to.counter() - from.counter() : 0;
}

struct ServerStats {
  std::string state = "looking";  // standalone | leader | follower | looking | read-only
  ::zab::Zxid zxid;               // last applied
  uint32_t epoch = 0;
  size_t node_count = 0;
  size_t session_count = 0;
  size_t connection_count = 0;
  size_t watch_count = 0;
  uint64_t digest = 0;
  uint64_t outstanding = 0;  // logged here, not applied yet
  uint64_t txns_logged = 0;
  uint64_t log_syncs = 0;
  uint64_t avg_fsync_us = 0;
  uint64_t requests = 0;
  uint64_t reads = 0;
  uint64_t writes = 0;
  uint64_t ephemerals_count = 0;
};

// The ZAB side of a node.
struct ZabStatus {
  std::string state = "looking";  // leader | follower | looking
  uint64_t leader = 0;
  uint32_t epoch = 0;           // currentEpoch
  uint32_t accepted_epoch = 0;  // acceptedEpoch
  bool established = false;
  ::zab::Counters counters;
  size_t peers_up = 0;
  ::zab::Zxid last_zxid;
  ::zab::Zxid committed_zxid;
  // Leader: follower id -> how many txns it is behind the leader's log
  // (counted in the current epoch; a follower not synced is absent).
  std::map<uint64_t, uint64_t> follower_lag;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_NODE_STATUS_H_
