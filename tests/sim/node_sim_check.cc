// NodeSim's checkers on what the run left behind (the per-stream rules are
// checked as replies arrive, in node_sim_clients.cc).
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/preparer.h"
#include "tests/sim/node_sim.h"

namespace zabkeeper::sim {
namespace {

bool IsWrite(const proto::Request& r) {
  return r.has_create() || r.has_set_data() || r.has_delete_() || r.has_multi();
}

// A txn's effect in short: its kind and error code, per op for a multi, and
// a create's path (sequential names included).
std::string Outcome(const proto::Txn& txn) {
  if (txn.has_error()) return absl::StrCat("error ", proto::ErrorCode_Name(txn.error().err()));
  if (txn.has_multi()) {
    std::string out = "multi[";
    for (const proto::Txn& sub : txn.multi().txns()) absl::StrAppend(&out, Outcome(sub), ";");
    return out + "]";
  }
  if (txn.has_create()) return absl::StrCat("create ", txn.create().path());
  return absl::StrCat("txn ", static_cast<int>(txn.body_case()));
}

}  // namespace

void NodeSim::CheckAll() {
  CheckLiveness();
  CheckConvergence();
  CheckApplyAgreement();
  CheckClients();
  CheckExpiries();
}

void NodeSim::CheckLiveness() {
  for (size_t c = 0; c < clients_.size(); ++c) {
    const Client& cl = clients_[c];
    if (cl.conn == 0) continue;
    if (cl.connecting) {
      Anomaly(absl::StrCat("client ", c, ": connect (xid ", cl.connect_xid, ") on node ",
                           cl.node + 1, " never answered"));
    }
    for (const auto& [xid, index] : cl.outstanding) {
      Anomaly(absl::StrCat("client ", c, ": request xid ", xid, " sent at t=", ops_[index].invoked,
                           " to node ", cl.node + 1, " never answered on its open stream"));
    }
  }
}

void NodeSim::CheckExpiries() {
  std::map<int64_t, std::pair<uint64_t, int32_t>> closed;  // session -> (close zxid, expired?)
  std::set<int64_t> global;                                // sessions a createSession made
  for (const auto& [zxid, bytes] : committed_) {
    proto::Txn txn;
    if (!txn.ParseFromString(bytes)) continue;
    if (txn.has_close_session())
      closed[txn.session_id()] = {zxid, txn.close_session().expired() ? 1 : 0};
    if (txn.has_create_session()) global.insert(txn.session_id());
  }
  for (const auto& [session, zxid] : expired_events_) {
    // A local session (local_sessions) expires on its server, with no txn.
    if (config_.local_sessions && !global.contains(session)) continue;
    auto it = closed.find(session);
    if (it == closed.end() || !it->second.second ||
        static_cast<int64_t>(it->second.first) != zxid) {
      Anomaly(absl::StrCat(
          "session 0x", absl::Hex(session), " was told it expired at 0x", absl::Hex(zxid), " but ",
          it == closed.end()
              ? std::string("no closeSession committed")
              : absl::StrCat("its closeSession is at 0x", absl::Hex(it->second.first))));
    }
  }
  for (const auto& [session, close] : closed) {
    if (!close.second) continue;
    const int64_t expired_at = first_applier_[close.first].second;
    const std::vector<int64_t>& heard = heard_[session];
    auto last = std::upper_bound(heard.begin(), heard.end(), expired_at);
    if (last == heard.begin()) continue;
    const int64_t since = expired_at - *std::prev(last);
    if (since < kSessionTimeoutMs / 2) {
      Anomaly(absl::StrCat("session 0x", absl::Hex(session), " expired at t=", expired_at, ", ",
                           since, " ms after a write of it succeeded (timeout ", kSessionTimeoutMs,
                           " ms)"));
    }
  }
}

void NodeSim::CheckConvergence() {
  const server::NodeCore* first = nodes_[0].core.get();
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const server::NodeCore* core = nodes_[i].core.get();
    if (core == nullptr || !core->serving()) {
      Anomaly(absl::StrCat("after healing, node ", i + 1, " is not serving"));
      return;
    }
    if (core->state().last_applied() != first->state().last_applied() ||
        core->state().tree().digest() != first->state().tree().digest()) {
      Anomaly(absl::StrCat(
          "after healing, node ", i + 1, " is at ", core->state().last_applied().ToString(),
          " digest ", core->state().tree().digest(), ", node 1 at ",
          first->state().last_applied().ToString(), " digest ", first->state().tree().digest()));
    }
    // An ephemeral node's owner is a live session.
    for (const auto& [owner, paths] : core->state().tree().ephemerals()) {
      if (!paths.empty() && !core->state().sessions().contains(owner)) {
        Anomaly(absl::StrCat("node ", i + 1, ": ", *paths.begin(), " outlives its session 0x",
                             absl::Hex(owner)));
      }
    }
  }
}

void NodeSim::CheckApplyAgreement() {
  // Each node applied a contiguous run of the one committed sequence (from
  // its recovered or installed state on).
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const auto& applied = nodes_[i].applied;
    for (size_t k = 1; k < applied.size(); ++k) {
      auto next = committed_.upper_bound(applied[k - 1].first);
      if (next == committed_.end() || next->first != applied[k].first) {
        Anomaly(absl::StrCat(
            "node ", i + 1, " went from 0x", absl::Hex(applied[k - 1].first), " to 0x",
            absl::Hex(applied[k].first), ", skipping 0x",
            absl::Hex(next == committed_.end() ? 0 : next->first),
            applied[k - 1].second.empty() ? " (from its recovered or installed state)" : "",
            next == committed_.end()
                ? ""
                : absl::StrCat(" which node ", first_applier_[next->first].first,
                               " applied at t=", first_applier_[next->first].second)));
        std::string tail;
        for (size_t j = k >= 4 ? k - 4 : 0; j < std::min(applied.size(), k + 3); ++j) {
          absl::StrAppend(&tail, " 0x", absl::Hex(applied[j].first),
                          applied[j].second.empty() ? "(base)" : "");
        }
        Anomaly(absl::StrCat("  node ", i + 1, " applied:", tail));
        break;
      }
    }
  }
}

void NodeSim::CheckClients() {
  struct Done {
    int64_t at;
    int64_t zxid;
  };
  std::vector<Done> acked;  // writes acknowledged with their zxid
  std::vector<const OpRecord*> reads;
  for (const OpRecord& op : ops_) {
    if (op.completed < 0) continue;
    ++ops_checked_;
    const proto::Response& r = op.response;
    if (IsWrite(op.request) && r.zxid() != 0) {
      auto it = committed_.find(static_cast<uint64_t>(r.zxid()));
      proto::Txn txn;
      if (it == committed_.end() || !txn.ParseFromString(it->second)) {
        Anomaly(absl::StrCat("acknowledged write (client ", op.client, " xid ", r.xid(), ") at 0x",
                             absl::Hex(r.zxid()), " was never applied"));
        continue;
      }
      if (txn.session_id() != op.session || txn.cxid() != r.xid()) {
        Anomaly(absl::StrCat("reply to client ", op.client, " xid ", r.xid(), " names 0x",
                             absl::Hex(r.zxid()), ", the txn of session 0x",
                             absl::Hex(txn.session_id()), " xid ", txn.cxid()));
      }
      acked.push_back(Done{op.completed, r.zxid()});
    }
    if ((op.request.has_get_data() || op.request.has_exists()) && r.zxid() != 0 &&
        (r.err() == proto::OK || r.err() == proto::NO_NODE)) {
      reads.push_back(&op);
    }
  }
  // Writes (and syncs) follow real time: whatever was acknowledged before an
  // operation was invoked has a lower zxid than it (a sync: not higher).
  std::sort(acked.begin(), acked.end(), [](const Done& a, const Done& b) { return a.at < b.at; });
  std::vector<int64_t> max_before(acked.size() + 1, 0);
  for (size_t k = 0; k < acked.size(); ++k)
    max_before[k + 1] = std::max(max_before[k], acked[k].zxid);
  auto acked_before = [&](int64_t t) {
    auto it = std::lower_bound(acked.begin(), acked.end(), t,
                               [](const Done& d, int64_t v) { return d.at < v; });
    return max_before[static_cast<size_t>(it - acked.begin())];
  };
  for (const OpRecord& op : ops_) {
    if (op.completed < 0 || op.response.zxid() == 0) continue;
    const int64_t before = acked_before(op.invoked);
    const bool write = IsWrite(op.request);
    if ((write && op.response.zxid() <= before) ||
        (op.request.has_sync() && op.response.zxid() < before)) {
      Anomaly(absl::StrCat(write ? "write" : "sync", " of client ", op.client, " xid ",
                           op.response.xid(), " invoked at t=", op.invoked, " got 0x",
                           absl::Hex(op.response.zxid()), " though 0x", absl::Hex(before),
                           " was acknowledged before"));
    }
  }
  // Reads return the state at their zxid: replay the committed sequence.
  std::sort(reads.begin(), reads.end(), [](const OpRecord* a, const OpRecord* b) {
    return a->response.zxid() < b->response.zxid();
  });
  // On the way, each client write's txn must be what preparing its request
  // against the state just before it gives: writes take effect one at a
  // time, in zxid order (a prepare that misjudged what was pending before
  // it shows up here).
  std::map<std::pair<int64_t, int64_t>, const proto::Request*> sent;  // (session, xid)
  for (const OpRecord& op : ops_) {
    if (IsWrite(op.request)) sent[{op.session, op.request.xid()}] = &op.request;
  }
  server::StateMachine model;
  std::set<int64_t> closed_sessions;
  auto next = committed_.begin();
  auto advance = [&](uint64_t at) {
    for (; next != committed_.end() && next->first <= at; ++next) {
      proto::Txn txn;
      txn.ParseFromString(next->second);
      if (txn.has_close_session()) closed_sessions.insert(txn.session_id());
      auto req = sent.find({txn.session_id(), txn.cxid()});
      if (req != sent.end() && !txn.has_create_session() && !txn.has_close_session()) {
        server::Preparer preparer{server::PreparerLimits{}};
        server::WriteRequest write;
        write.session_id = txn.session_id();
        write.request = *req->second;
        // No identities: every node of this workload is world:anyone.
        const proto::Txn expected =
            preparer.PrepareWrite(model.tree(), write, server::Zxid::FromRaw(next->first),
                                  txn.time_ms(), model.sessions().contains(txn.session_id()));
        // A session the tree never knew (and never closed) was local to its
        // server: its writes go flagged as such, except behind an upgrade
        // that is on its way (or was lost: then they are refused as expired).
        bool local_ok = false;
        if (config_.local_sessions && !model.sessions().contains(txn.session_id()) &&
            !closed_sessions.contains(txn.session_id())) {
          server::Preparer local_preparer{server::PreparerLimits{}};
          write.local_session = true;
          local_ok = Outcome(local_preparer.PrepareWrite(model.tree(), write,
                                                         server::Zxid::FromRaw(next->first),
                                                         txn.time_ms(), false)) == Outcome(txn);
        }
        if (!local_ok && Outcome(expected) != Outcome(txn)) {
          Anomaly(absl::StrCat("txn 0x", absl::Hex(next->first), " of session 0x",
                               absl::Hex(txn.session_id()), " xid ", txn.cxid(), " is ",
                               Outcome(txn), ", but in zxid order its request gives ",
                               Outcome(expected)));
        }
      }
      server::ChangeSet changes;
      model.Apply(server::Zxid::FromRaw(next->first), txn, &changes);
    }
  };
  for (const OpRecord* op : reads) {
    const uint64_t at = static_cast<uint64_t>(op->response.zxid());
    advance(at);
    const std::string& path =
        op->request.has_get_data() ? op->request.get_data().path() : op->request.exists().path();
    const server::Znode* node = model.tree().Find(path);
    const bool exists = op->response.err() == proto::OK;
    bool ok = exists == (node != nullptr);
    if (ok && exists && op->request.has_get_data()) {
      ok = op->response.get_data().data() == node->data &&
           op->response.get_data().stat().version() == node->stat.version;
    }
    if (!ok) {
      Anomaly(absl::StrCat(
          "client ", op->client, " read ", path, " at 0x", absl::Hex(at), " on node ", op->node + 1,
          " and got ",
          exists ? absl::StrCat("'", op->response.get_data().data(), "'") : std::string("no node"),
          "; at 0x", absl::Hex(at), " it ",
          node ? absl::StrCat("holds '", node->data, "'") : std::string("does not exist")));
    }
  }
  advance(UINT64_MAX);
}

}  // namespace zabkeeper::sim
