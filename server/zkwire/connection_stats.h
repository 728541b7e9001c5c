// Per-connection statistics of the ZooKeeper-protocol port, for the `cons`
// and `stat` four-letter words (ZooKeeper's ServerCnxn.dumpConnectionInfo).
// Each connection updates its own entry from its strand; a four-letter word
// reads every entry from another connection's strand, hence the locks.
#ifndef ZABKEEPER_SERVER_ZKWIRE_CONNECTION_STATS_H_
#define ZABKEEPER_SERVER_ZKWIRE_CONNECTION_STATS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace zabkeeper::zkwire {

class ConnectionStats {
 public:
  ConnectionStats(std::string remote, int64_t established_ms)
      : remote_(std::move(remote)), established_ms_(established_ms) {}

  void PacketReceived();
  void PacketSent();
  void SetQueued(size_t queued);
  void SetSession(int64_t session_id, int32_t timeout_ms);
  // A reply to the request with ZooKeeper opcode `op` and `xid`, after
  // `latency_ms` in the server.
  void Responded(int32_t op, int64_t xid, int64_t zxid, int64_t latency_ms, int64_t now_ms);

  // ZooKeeper's line: " /ip:port[1](queued=..,recved=..,sent=..[,sid=..,lop=..,...])".
  std::string Describe(bool brief) const;

 private:
  mutable std::mutex mu_;
  const std::string remote_;
  const int64_t established_ms_;
  uint64_t received_ = 0;
  uint64_t sent_ = 0;
  size_t queued_ = 0;
  int64_t session_id_ = 0;
  int32_t timeout_ms_ = 0;
  std::string last_op_ = "NA";
  int64_t last_cxid_ = -1;
  int64_t last_zxid_ = -1;
  int64_t last_response_ms_ = 0;
  int64_t last_latency_ms_ = 0;
  int64_t min_latency_ms_ = 0;
  int64_t max_latency_ms_ = 0;
  int64_t total_latency_ms_ = 0;
  uint64_t responses_ = 0;
};

class ConnectionRegistry {
 public:
  // `remote` as ZooKeeper prints it: "/127.0.0.1:43090".
  std::shared_ptr<ConnectionStats> Add(std::string remote, int64_t now_ms);
  void Remove(const ConnectionStats* stats);
  // One line per open connection, oldest first.
  std::vector<std::string> Describe(bool brief) const;

 private:
  mutable std::mutex mu_;
  uint64_t next_ = 0;
  std::map<uint64_t, std::shared_ptr<ConnectionStats>> by_order_;
  std::map<const ConnectionStats*, uint64_t> order_of_;
};

// ZooKeeper's short name for an opcode in `lop` (FinalRequestProcessor's).
const char* ShortOpName(int32_t op);

}  // namespace zabkeeper::zkwire

#endif  // ZABKEEPER_SERVER_ZKWIRE_CONNECTION_STATS_H_
