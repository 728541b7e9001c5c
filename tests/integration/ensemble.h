// Ensemble: N real zabkeeper-server processes on 127.0.0.1 forming one
// ensemble, for integration and fault tests. Header-only.
#ifndef ZABKEEPER_TESTS_INTEGRATION_ENSEMBLE_H_
#define ZABKEEPER_TESTS_INTEGRATION_ENSEMBLE_H_

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/integration/admin_get.h"
#include "tests/integration/server/raw_session.h"
#include "tests/integration/server_process.h"

namespace zabkeeper::testing {

class Ensemble {
 public:
  // tick_ms small so elections and expiry happen within test time.
  // zk_client_ports: each node also serves ZooKeeper's protocol (zk_port).
  // extra: more zoo.cfg keys, the same for every node.
  Ensemble(const std::string& dir, int n, int tick_ms = 100, bool zk_client_ports = false,
           const std::map<std::string, std::string>& extra = {}) {
    std::vector<int> peer_ports;
    for (int i = 0; i < n; ++i) peer_ports.push_back(FreePort());
    for (int i = 1; i <= n; ++i) {
      std::map<std::string, std::string> cfg = {{"tickTime", std::to_string(tick_ms)},
                                                {"initLimit", "10"},
                                                {"syncLimit", "5"},
                                                {"minSessionTimeout", "300"}};
      cfg.insert(extra.begin(), extra.end());
      if (zk_client_ports) {
        zk_ports_.push_back(FreePort());
        cfg["zkClientPort"] = std::to_string(zk_ports_.back());
      }
      for (int j = 1; j <= n; ++j) {
        cfg["server." + std::to_string(j)] = "127.0.0.1:" + std::to_string(peer_ports[j - 1]);
      }
      nodes_.push_back(std::make_unique<ServerProcess>(dir + "/node" + std::to_string(i), cfg, i));
    }
  }

  int size() const { return static_cast<int>(nodes_.size()); }
  // Node id's ZooKeeper-protocol port (with zk_client_ports).
  int zk_port(int id) const { return zk_ports_.at(id - 1); }
  // 1-based, as server ids.
  ServerProcess& node(int id) { return *nodes_.at(id - 1); }

  void StartAll() {
    for (auto& n : nodes_) n->Start();
  }

  // /commands/<cmd> of node id, or null when it does not answer.
  nlohmann::json Admin(int id, const std::string& cmd) {
    if (!node(id).running()) return nullptr;
    return AdminGet(node(id).admin_port(), cmd);
  }

  std::string State(int id) {
    nlohmann::json j = Admin(id, "srvr");
    return j.is_object() ? j["server_state"].get<std::string>() : "down";
  }

  // Waits until one running node leads and every other running node follows;
  // returns the leader's id, or 0 on timeout.
  int WaitForLeader(std::chrono::milliseconds timeout = std::chrono::seconds(20),
                    int expected_followers = -1) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int leader = 0, followers = 0, running = 0;
      for (int id = 1; id <= size(); ++id) {
        if (!node(id).running()) continue;
        ++running;
        std::string s = State(id);
        if (s == "leader") leader = leader == 0 ? id : -1;
        if (s == "follower") ++followers;
      }
      int want = expected_followers >= 0 ? expected_followers : running - 1;
      if (leader > 0 && followers >= want) return leader;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return 0;
  }

  // Waits until every running node applied the same zxid; returns the
  // (zxid, digest) pairs seen, one per running node.
  bool WaitConverged(std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::optional<nlohmann::json> first;
      bool same = true;
      for (int id = 1; id <= size(); ++id) {
        if (!node(id).running()) continue;
        nlohmann::json h = Admin(id, "hash");
        if (!h.is_object()) {
          same = false;
          break;
        }
        if (!first) {
          first = h;
        } else if (h["zxid"] != (*first)["zxid"] || h["digest"] != (*first)["digest"]) {
          same = false;
        }
      }
      if (same && first) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::string ConnectString() {
    std::string out;
    for (auto& n : nodes_) {
      // Not `(sep) + n->address()`: GCC 12 -O3 false -Wrestrict (PR 105329).
      if (!out.empty()) out += ",";
      out += n->address();
    }
    return out;
  }

 private:
  std::vector<std::unique_ptr<ServerProcess>> nodes_;
  std::vector<int> zk_ports_;
};

// Leader/state/counter helpers for fault tests (additive).
inline int64_t MntrCounter(Ensemble& e, int id, const std::string& key) {
  nlohmann::json m = e.Admin(id, "mntr");
  if (!m.is_object() || !m.contains(key)) return -1;
  return m[key].get<int64_t>();
}

// Waits until one of `ids` leads and at least `followers` others of `ids`
// follow; only the given nodes are asked (a paused node would stall Admin).
inline int WaitForLeaderAmong(Ensemble& e, const std::vector<int>& ids, int followers,
                              std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int leader = 0, nf = 0;
    for (int id : ids) {
      std::string s = e.State(id);
      if (s == "leader") leader = leader == 0 ? id : -1;
      if (s == "follower") ++nf;
    }
    if (leader > 0 && nf >= followers) return leader;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

// A session that fails over between the servers of an ensemble as a real
// client does: after CONNECTION_LOSS or a lost reply it drops the stream, and
// the next call first reattaches (session id + password + last zxid seen) to
// the next running server. A write whose reply was lost has an unknown
// outcome; callers count only acknowledged writes.
class FailoverSession {
 public:
  FailoverSession(Ensemble& e, int first_server, int32_t timeout_ms = 5000)
      : e_(e), server_(first_server), timeout_ms_(timeout_ms) {}

  // Opens a new session on the first server (no failover for the create).
  proto::Response Open(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    raw_ = std::make_unique<RawSession>(e_.node(server_).address());
    proto::Request req;
    req.mutable_connect()->set_timeout_ms(timeout_ms_);
    proto::Response r = raw_->Call(std::move(req), timeout);
    if (r.err() == proto::OK && r.has_connect()) {
      session_id_ = r.connect().session_id();
      password_ = r.connect().password();
      Seen(r);
    } else {
      raw_.reset();
    }
    return r;
  }

  // Reattaches to some running server other than ones that just failed,
  // trying them in turn until `budget` runs out. Skip ids in `avoid`.
  bool Reattach(std::chrono::milliseconds budget,
                std::chrono::milliseconds per_try = std::chrono::milliseconds(1000)) {
    raw_.reset();
    auto deadline = std::chrono::steady_clock::now() + budget;
    while (std::chrono::steady_clock::now() < deadline) {
      server_ = server_ % e_.size() + 1;
      if (!e_.node(server_).running() || avoid_.count(server_)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      auto r = std::make_unique<RawSession>(e_.node(server_).address());
      proto::Request req;
      proto::ConnectRequest* c = req.mutable_connect();
      c->set_timeout_ms(timeout_ms_);
      c->set_session_id(session_id_);
      c->set_password(password_);
      c->set_last_zxid_seen(last_zxid_);
      proto::Response resp = r->Call(std::move(req), per_try);
      if (resp.err() == proto::OK) {
        raw_ = std::move(r);
        ++reattaches_;
        Seen(resp);
        return true;
      }
      if (resp.err() == proto::SESSION_EXPIRED) {
        expired_ = true;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // One attempt; CONNECTION_LOSS when there is no stream or the reply is lost.
  proto::Response Call(proto::Request req,
                       std::chrono::milliseconds timeout = std::chrono::seconds(2),
                       std::chrono::milliseconds reattach_budget = std::chrono::seconds(5)) {
    if (!raw_ && !expired_) Reattach(reattach_budget);
    if (!raw_) {
      proto::Response lost;
      lost.set_err(expired_ ? proto::SESSION_EXPIRED : proto::CONNECTION_LOSS);
      lost.set_error_message("no server to attach to");
      return lost;
    }
    proto::Response r = raw_->Call(std::move(req), timeout);
    if (r.err() == proto::CONNECTION_LOSS || r.err() == proto::SESSION_MOVED) {
      raw_->Abandon();
      raw_.reset();
    } else if (r.err() == proto::SESSION_EXPIRED) {
      expired_ = true;
      raw_.reset();
    } else {
      Seen(r);
    }
    return r;
  }

  // Drops the stream without closing the session (the client goes silent).
  void Abandon() {
    if (raw_) raw_->Abandon();
  }
  RawSession* raw() { return raw_.get(); }
  void Avoid(int id) { avoid_.insert(id); }
  void ClearAvoid() { avoid_.clear(); }
  int server() const { return server_; }
  int reattaches() const { return reattaches_; }
  int64_t session_id() const { return session_id_; }
  int64_t last_zxid() const { return last_zxid_; }
  bool expired() const { return expired_; }

 private:
  void Seen(const proto::Response& r) { last_zxid_ = std::max(last_zxid_, r.zxid()); }

  Ensemble& e_;
  int server_;
  int32_t timeout_ms_;
  std::unique_ptr<RawSession> raw_;
  std::set<int> avoid_;
  int64_t session_id_ = 0;
  std::string password_;
  int64_t last_zxid_ = 0;
  int reattaches_ = 0;
  bool expired_ = false;
};

}  // namespace zabkeeper::testing

#endif  // ZABKEEPER_TESTS_INTEGRATION_ENSEMBLE_H_
