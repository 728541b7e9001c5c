// NodeSim's clients: each holds a session, sends requests to the node it is
// attached to through the node's client-request API, and moves to another
// node when its stream closes. What it sees is recorded for the checkers,
// and the per-stream rules are checked as replies and events arrive.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "tests/sim/node_sim.h"

namespace zabkeeper::sim {
namespace {

constexpr int kKeys = 4;
std::string Key(int64_t k) { return absl::StrCat("/k", k); }

// world:anyone, every permission (ZooKeeper's OPEN_ACL_UNSAFE): a create
// without an ACL fails with INVALID_ACL.
proto::Acl OpenAcl() {
  proto::Acl acl;
  acl.set_perms(0x1f);
  acl.mutable_id()->set_scheme("world");
  acl.mutable_id()->set_id("anyone");
  return acl;
}

}  // namespace

void NodeSim::ClientConnect(int c) {
  Client& cl = clients_[static_cast<size_t>(c)];
  if (cl.conn != 0 || cl.next_op_at < 0) return;
  const int node = static_cast<int>(rng_.Range(0, config_.nodes - 1));
  server::NodeCore* core = nodes_[static_cast<size_t>(node)].core.get();
  if (core == nullptr) {
    Schedule(now_ + 20, Event{Kind::kReconnect, 0, c, 0, {}});
    return;
  }
  cl.node = node;
  cl.conn = next_conn_++;
  conn_client_[cl.conn] = c;
  core->OpenConnection(cl.conn, "ipv4:127.0.0.1:4000");
  proto::Request r;
  r.set_xid(cl.next_xid++);
  proto::ConnectRequest* req = r.mutable_connect();
  req->set_timeout_ms(kSessionTimeoutMs);
  req->set_session_id(cl.session);
  req->set_password(cl.password);
  req->set_last_zxid_seen(cl.last_zxid);
  cl.connecting = true;
  cl.connect_xid = r.xid();
  core->ClientRequest(cl.conn, r);
  Drive(node);
}

void NodeSim::ClientOp(int c) {
  Client& cl = clients_[static_cast<size_t>(c)];
  if (cl.next_op_at < 0) return;  // load stopped
  if (cl.conn == 0) {
    ClientConnect(c);
    Schedule(now_ + rng_.Range(10, 40), Event{Kind::kClientOp, 0, c, 0, {}});
    return;
  }
  Schedule(now_ + rng_.Range(5, 40), Event{Kind::kClientOp, 0, c, 0, {}});
  if (cl.connecting || cl.outstanding.size() >= 2) return;
  if (rng_.Chance(0.01)) {
    // Goes quiet long enough for its session to expire.
    cl.next_op_at = now_ + 2000;
  }
  if (cl.next_op_at > now_) return;
  proto::Request r;
  r.set_xid(cl.next_xid++);
  const std::string key = Key(rng_.Range(0, kKeys - 1));
  const std::string data = absl::StrCat("c", c, "x", r.xid());
  const int64_t pick = rng_.Range(0, 99);
  if (pick < 18) {
    proto::CreateRequest* cr = r.mutable_create();
    cr->set_path(key);
    cr->set_data(data);
    *cr->add_acl() = OpenAcl();
    const int64_t mode = rng_.Range(0, 3);
    if (mode == 1) cr->set_mode(proto::EPHEMERAL);
    if (mode == 2) cr->set_mode(proto::PERSISTENT_SEQUENTIAL);
    if (mode == 3) cr->set_mode(proto::EPHEMERAL_SEQUENTIAL);
  } else if (pick < 38) {
    r.mutable_set_data()->set_path(key);
    r.mutable_set_data()->set_data(data);
    r.mutable_set_data()->set_version(rng_.Chance(0.5) ? -1
                                                       : static_cast<int32_t>(rng_.Range(0, 3)));
  } else if (pick < 46) {
    r.mutable_delete_()->set_path(key);
    r.mutable_delete_()->set_version(-1);
  } else if (pick < 52) {
    proto::MultiRequest* m = r.mutable_multi();
    proto::Op* check = m->add_ops();
    check->mutable_check()->set_path(key);
    check->mutable_check()->set_version(static_cast<int32_t>(rng_.Range(0, 2)));
    proto::Op* set = m->add_ops();
    set->mutable_set_data()->set_path(Key(rng_.Range(0, kKeys - 1)));
    set->mutable_set_data()->set_data(data);
    set->mutable_set_data()->set_version(-1);
  } else if (pick < 72) {
    r.mutable_get_data()->set_path(key);
    r.mutable_get_data()->set_watch(rng_.Chance(0.5));
  } else if (pick < 80) {
    r.mutable_exists()->set_path(key);
    r.mutable_exists()->set_watch(rng_.Chance(0.5));
  } else if (pick < 87) {
    r.mutable_get_children()->set_path("/");
    r.mutable_get_children()->set_watch(rng_.Chance(0.5));
  } else if (pick < 97) {
    r.mutable_sync()->set_path("/");
  } else {
    r.mutable_close();
  }
  OpRecord rec;
  rec.client = c;
  rec.session = cl.session;
  rec.node = cl.node;
  rec.request = r;
  rec.invoked = now_;
  cl.outstanding[r.xid()] = ops_.size();
  ops_.push_back(std::move(rec));
  nodes_[static_cast<size_t>(cl.node)].core->ClientRequest(cl.conn, r);
  Drive(cl.node);
}

void NodeSim::OnClose(int node, server::ConnId conn) {
  auto it = conn_client_.find(conn);
  if (it == conn_client_.end()) return;
  const int c = it->second;
  Client& cl = clients_[static_cast<size_t>(c)];
  conn_client_.erase(it);
  if (nodes_[static_cast<size_t>(node)].core)
    nodes_[static_cast<size_t>(node)].core->CloseConnection(conn);
  cl.conn = 0;
  cl.connecting = false;
  cl.outstanding.clear();  // their outcome is unknown
  cl.set_watches_xid = 0;
  if (cl.next_op_at >= 0) Schedule(now_ + rng_.Range(10, 60), Event{Kind::kReconnect, 0, c, 0, {}});
}

void NodeSim::SendSetWatches(int c) {
  Client& cl = clients_[static_cast<size_t>(c)];
  if (cl.watches.empty()) return;
  proto::Request r;
  r.set_xid(cl.next_xid++);
  proto::SetWatchesRequest* sw = r.mutable_set_watches();
  sw->set_relative_zxid(cl.last_zxid);
  for (const auto& [path, kind] : cl.watches) {
    if (kind == 0) sw->add_data_watches(path);
    if (kind == 1) sw->add_child_watches(path);
    if (kind == 2) sw->add_exist_watches(path);
  }
  cl.set_watches_xid = r.xid();
  watches_reregistered_ += cl.watches.size();
  nodes_[static_cast<size_t>(cl.node)].core->ClientRequest(cl.conn, r);
}

void NodeSim::OnClientOut(int node, server::ClientOut& out) {
  auto it = conn_client_.find(out.conn);
  if (it == conn_client_.end()) return;
  const int c = it->second;
  Client& cl = clients_[static_cast<size_t>(c)];
  const proto::Response& r = out.response;
  // A connect reply's zxid is the server's (ZooKeeper's ConnectResponse has
  // none): it must not be behind the session, but the client has not seen
  // any change at it, so SetWatches stays relative to what it did see.
  const bool connect_reply = cl.connecting && r.xid() == cl.connect_xid;
  if (connect_reply && r.err() == proto::OK && r.zxid() < cl.last_zxid) {
    Anomaly(absl::StrCat("client ", c, " session 0x", absl::Hex(cl.session), " reattached to node ",
                         node + 1, " at zxid 0x", absl::Hex(r.zxid()), " after it saw 0x",
                         absl::Hex(cl.last_zxid)));
  }
  // A session's stream never goes back in zxid: not across servers, not
  // for a watch event after the reply that showed its change.
  if (r.zxid() != 0 && !connect_reply) {
    if (r.zxid() < cl.last_zxid) {
      Anomaly(absl::StrCat("client ", c, " session 0x", absl::Hex(cl.session), " on node ",
                           node + 1, ": ", r.xid() == -1 ? "watch event" : "reply", " xid ",
                           r.xid(), " at zxid 0x", absl::Hex(r.zxid()), " after it saw 0x",
                           absl::Hex(cl.last_zxid)));
    }
    cl.last_zxid = std::max(cl.last_zxid, r.zxid());
  }
  if (r.xid() == -1) {
    const proto::WatchEvent& ev = r.watch_event();
    if (r.zxid() != 0 && r.zxid() <= cl.last_reply_zxid && ev.state() != proto::EXPIRED) {
      Anomaly(absl::StrCat("client ", c, ": ", proto::EventType_Name(ev.type()), " ", ev.path(),
                           " at 0x", absl::Hex(r.zxid()), " came after a reply at 0x",
                           absl::Hex(cl.last_reply_zxid), " that already reflects it"));
    }
    if (ev.state() == proto::EXPIRED) {
      expired_events_[cl.session] = r.zxid();
      cl.session = 0;
      cl.password.clear();
      cl.watches.clear();
      return;
    }
    ++watch_events_;
    bool had = false;
    auto take = [&](int kind) { had |= cl.watches.erase({ev.path(), kind}) > 0; };
    if (ev.type() == proto::NODE_CREATED || ev.type() == proto::NODE_DATA_CHANGED) {
      take(0);
      take(2);
    }
    if (ev.type() == proto::NODE_DELETED) {
      take(0);
      take(1);
      take(2);
    }
    if (ev.type() == proto::NODE_CHILDREN_CHANGED) take(1);
    if (!had) {
      Anomaly(absl::StrCat("client ", c, ": ", proto::EventType_Name(ev.type()), " ", ev.path(),
                           " fired without a watch (a one-shot watch fired twice?)"));
    }
    return;
  }
  if (connect_reply) {
    cl.connecting = false;
    if (r.err() == proto::OK) {
      if (r.connect().session_id() != cl.session) cl.watches.clear();  // a new session
      cl.session = r.connect().session_id();
      cl.password = r.connect().password();
      SendSetWatches(c);
      return;
    }
    if (r.err() == proto::SESSION_EXPIRED) {
      cl.session = 0;
      cl.password.clear();
      cl.watches.clear();
    }
    // Refused (or a new session that could not be created): try elsewhere.
    const server::ConnId conn = cl.conn;
    OnClose(node, conn);
    return;
  }
  cl.last_reply_zxid = std::max(cl.last_reply_zxid, r.zxid());
  if (r.xid() == cl.set_watches_xid && cl.set_watches_xid != 0) {
    cl.set_watches_xid = 0;
    if (r.err() != proto::OK) {
      Anomaly(absl::StrCat("client ", c, ": SetWatches failed: ", proto::ErrorCode_Name(r.err())));
    }
    return;
  }
  auto op = cl.outstanding.find(r.xid());
  if (op == cl.outstanding.end()) {
    Anomaly(absl::StrCat("client ", c, ": reply for xid ", r.xid(), " it is not waiting for (",
                         proto::OpCode_Name(r.op()), " ", proto::ErrorCode_Name(r.err()), " ",
                         r.error_message(), ")"));
    return;
  }
  OpRecord& rec = ops_[op->second];
  cl.outstanding.erase(op);
  rec.completed = now_;
  rec.session = cl.session;
  rec.node = node;
  rec.response = r;
  // A reply to an applied write leaves only once the answering node's log
  // holds it durably (it was committed there first).
  const bool write = rec.request.has_create() || rec.request.has_set_data() ||
                     rec.request.has_delete_() || rec.request.has_multi();
  if (write && r.zxid() != 0) {
    const Disk& d = nodes_[static_cast<size_t>(node)].disk;
    const uint64_t durable = d.DurableZxid();
    if (static_cast<uint64_t>(r.zxid()) > durable) {
      Anomaly(absl::StrCat("node ", node + 1, " replied to a write at 0x", absl::Hex(r.zxid()),
                           " with its disk at 0x", absl::Hex(durable)));
    }
  }
  if (r.err() == proto::OK && rec.request.has_create()) ++creates_ok_;
  if (r.err() == proto::OK) {
    if (rec.request.has_get_data() && rec.request.get_data().watch()) {
      cl.watches.insert({rec.request.get_data().path(), 0});
    }
    if (rec.request.has_get_children() && rec.request.get_children().watch()) {
      cl.watches.insert({rec.request.get_children().path(), 1});
    }
  }
  if (rec.request.has_exists() && rec.request.exists().watch() &&
      (r.err() == proto::OK || r.err() == proto::NO_NODE)) {
    cl.watches.insert({rec.request.exists().path(), r.err() == proto::OK ? 0 : 2});
  }
  // The leader took a write of this session: it was live there just now.
  if (write && r.err() == proto::OK) heard_[cl.session].push_back(now_);
  if (rec.request.has_close() && r.err() == proto::OK) {
    cl.session = 0;
    cl.password.clear();
    cl.watches.clear();
  }
}

}  // namespace zabkeeper::sim
