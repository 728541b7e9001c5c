#include "server/zkwire/connection_stats.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace zabkeeper::zkwire {

void ConnectionStats::PacketReceived() {
  std::lock_guard<std::mutex> lock(mu_);
  ++received_;
}

void ConnectionStats::PacketSent() {
  std::lock_guard<std::mutex> lock(mu_);
  ++sent_;
}

void ConnectionStats::SetQueued(size_t queued) {
  std::lock_guard<std::mutex> lock(mu_);
  queued_ = queued;
}

void ConnectionStats::SetSession(int64_t session_id, int32_t timeout_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  session_id_ = session_id;
  timeout_ms_ = timeout_ms;
}

void ConnectionStats::Responded(int32_t op, int64_t xid, int64_t zxid, int64_t latency_ms,
                                int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  last_op_ = ShortOpName(op);
  last_cxid_ = xid;
  if (zxid > 0) last_zxid_ = zxid;
  last_response_ms_ = now_ms;
  last_latency_ms_ = latency_ms;
  min_latency_ms_ = responses_ == 0 ? latency_ms : std::min(min_latency_ms_, latency_ms);
  max_latency_ms_ = std::max(max_latency_ms_, latency_ms);
  total_latency_ms_ += latency_ms;
  ++responses_;
}

std::string ConnectionStats::Describe(bool brief) const {
  std::lock_guard<std::mutex> lock(mu_);
  // "[1]": the read interest ops ZooKeeper prints; a connection here always
  // reads unless paused by back-pressure, which the queue count shows.
  std::string out =
      absl::StrCat(" ", remote_, "[1](queued=", queued_, ",recved=", received_, ",sent=", sent_);
  if (!brief && session_id_ != 0) {
    absl::StrAppend(&out, ",sid=0x", absl::Hex(session_id_), ",lop=", last_op_,
                    ",est=", established_ms_, ",to=", timeout_ms_);
    if (last_cxid_ >= 0) absl::StrAppend(&out, ",lcxid=0x", absl::Hex(last_cxid_));
    absl::StrAppend(
        &out, ",lzxid=0x", absl::Hex(static_cast<uint64_t>(last_zxid_)),
        ",lresp=", last_response_ms_, ",llat=", last_latency_ms_, ",minlat=", min_latency_ms_,
        ",avglat=", responses_ == 0 ? 0 : total_latency_ms_ / static_cast<int64_t>(responses_),
        ",maxlat=", max_latency_ms_);
  }
  absl::StrAppend(&out, ")");
  return out;
}

std::shared_ptr<ConnectionStats> ConnectionRegistry::Add(std::string remote, int64_t now_ms) {
  auto stats = std::make_shared<ConnectionStats>(std::move(remote), now_ms);
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t order = next_++;
  by_order_[order] = stats;
  order_of_[stats.get()] = order;
  return stats;
}

void ConnectionRegistry::Remove(const ConnectionStats* stats) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = order_of_.find(stats);
  if (it == order_of_.end()) return;
  by_order_.erase(it->second);
  order_of_.erase(it);
}

std::vector<std::string> ConnectionRegistry::Describe(bool brief) const {
  std::vector<std::shared_ptr<ConnectionStats>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [order, stats] : by_order_) all.push_back(stats);
  }
  std::vector<std::string> lines;
  lines.reserve(all.size());
  for (const auto& stats : all) lines.push_back(stats->Describe(brief));
  return lines;
}

const char* ShortOpName(int32_t op) {
  switch (op) {
    case -10:
      return "SESS";  // createSession
    case -11:
      return "CLOS";
    case 1:
    case 15:
    case 19:
    case 21:
      return "CREA";
    case 2:
      return "DELE";
    case 3:
      return "EXIS";
    case 4:
      return "GETD";
    case 5:
      return "SETD";
    case 6:
      return "GETA";
    case 7:
      return "SETA";
    case 8:
    case 12:
      return "GETC";
    case 9:
      return "SYNC";
    case 11:
      return "PING";
    case 13:
      return "CHEC";
    case 14:
      return "MULT";
    case 16:
      return "RECO";
    case 17:
      return "CHKW";
    case 18:
      return "REMW";
    case 22:
      return "MLTR";
    case 100:
      return "AUTH";
    case 101:
      return "SETW";
    case 102:
      return "SASL";
    case 103:
      return "GETE";
    case 104:
      return "GETACN";
    case 105:
      return "STW2";
    case 106:
      return "ADDW";
    case 107:
      return "HOMI";
    default:
      return "NA";
  }
}

}  // namespace zabkeeper::zkwire
