#include "tests/unit/client/fake_server.h"

#include <algorithm>
#include <cstdio>

#include "glog/logging.h"

namespace zk::testing {
namespace {

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}
std::string Name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

FakeZkServer::FakeZkServer(int num_ports) {
  tree_["/"] = Node{};
  ports_.assign(num_ports, 0);
  servers_.resize(num_ports);
  for (int i = 0; i < num_ports; ++i) StartPort(i);
}

FakeZkServer::~FakeZkServer() {
  for (size_t i = 0; i < servers_.size(); ++i) Stop(static_cast<int>(i));
}

std::string FakeZkServer::connect_string() const {
  std::string s;
  for (size_t i = 0; i < ports_.size(); ++i) {
    if (i > 0) s += ",";
    s += address(static_cast<int>(i));
  }
  return s;
}

void FakeZkServer::StartPort(int i) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(ports_[i]),
                           grpc::InsecureServerCredentials(), &ports_[i]);
  builder.RegisterService(this);
  servers_[i] = builder.BuildAndStart();
  CHECK(servers_[i] != nullptr && ports_[i] != 0) << "fake server could not listen";
}

void FakeZkServer::Stop(int i) {
  if (servers_[i] == nullptr) return;
  servers_[i]->Shutdown(std::chrono::system_clock::now());
  servers_[i]->Wait();
  servers_[i].reset();
}

void FakeZkServer::Restart(int i) {
  Stop(i);
  StartPort(i);
}

grpc::Status FakeZkServer::Session(grpc::ServerContext* context, Stream* stream) {
  int64_t session_id = 0;
  proto::ClientMessage in;
  while (stream->Read(&in)) {
    std::lock_guard<std::mutex> lock(mu_);
    ++messages_;
    proto::ServerMessage out;
    bool close = false;
    for (const proto::Request& req : in.requests()) {
      ++requests_;
      *out.add_responses() = Handle(req, &session_id, stream, context, &close);
      FlushEvents();
      if (close) break;
    }
    stream->Write(out);
    if (close || (session_id != 0 && sessions_.count(session_id) == 0)) break;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(session_id);
  if (it != sessions_.end() && it->second.stream == stream) {
    it->second.stream = nullptr;
    it->second.context = nullptr;
  }
  return grpc::Status::OK;
}

proto::Response FakeZkServer::Handle(const proto::Request& req, int64_t* session_id, Stream* stream,
                                     grpc::ServerContext* context, bool* close) {
  proto::Response resp;
  resp.set_xid(req.xid());
  pending_events_.clear();
  auto exists = [&](const std::string& p) { return tree_.count(p) > 0; };
  switch (req.body_case()) {
    case proto::Request::kConnect: {
      const proto::ConnectRequest& c = req.connect();
      resp.set_op(proto::OP_CREATE_SESSION);
      int64_t sid = c.session_id();
      if (sid == 0) {
        sid = next_session_++;
        SessionInfo& s = sessions_[sid];
        s.password = "pw" + std::to_string(sid);
        s.timeout_ms = std::clamp(c.timeout_ms(), 200, 60000);
      } else {
        auto it = sessions_.find(sid);
        if (it == sessions_.end() || it->second.password != c.password()) {
          resp.set_err(proto::SESSION_EXPIRED);
          resp.mutable_connect()->set_timeout_ms(0);
          break;
        }
        if (c.last_zxid_seen() > zxid_) {
          resp.set_err(proto::CONNECTION_LOSS);
          break;
        }
        if (it->second.context != nullptr && it->second.stream != stream) {
          it->second.context->TryCancel();
        }
      }
      SessionInfo& s = sessions_[sid];
      s.stream = stream;
      s.context = context;
      *session_id = sid;
      resp.mutable_connect()->set_session_id(sid);
      resp.mutable_connect()->set_password(s.password);
      resp.mutable_connect()->set_timeout_ms(s.timeout_ms);
      break;
    }
    case proto::Request::kPing:
      resp.set_op(proto::OP_PING);
      break;
    case proto::Request::kClose:
      resp.set_op(proto::OP_CLOSE_SESSION);
      RemoveSession(*session_id);
      *close = true;
      break;
    case proto::Request::kCreate: {
      resp.set_op(proto::OP_CREATE);
      resp.set_err(ApplyCreate(req.create(), *session_id, resp.mutable_create()));
      break;
    }
    case proto::Request::kDelete:
      resp.set_op(proto::OP_DELETE);
      resp.set_err(ApplyDelete(req.delete_().path(), req.delete_().version()));
      break;
    case proto::Request::kSetData:
      resp.set_op(proto::OP_SET_DATA);
      resp.set_err(ApplySetData(req.set_data().path(), req.set_data().data(),
                                req.set_data().version(), resp.mutable_stat()->mutable_stat()));
      break;
    case proto::Request::kExists: {
      resp.set_op(proto::OP_EXISTS);
      const std::string& p = req.exists().path();
      SessionInfo& s = sessions_[*session_id];
      if (exists(p)) {
        *resp.mutable_stat()->mutable_stat() = tree_[p].stat;
        if (req.exists().watch()) s.data_watches.insert(p);
      } else {
        resp.set_err(proto::NO_NODE);
        if (req.exists().watch()) s.exist_watches.insert(p);
      }
      break;
    }
    case proto::Request::kGetData: {
      resp.set_op(proto::OP_GET_DATA);
      const std::string& p = req.get_data().path();
      if (!exists(p)) {
        resp.set_err(proto::NO_NODE);
        break;
      }
      resp.mutable_get_data()->set_data(tree_[p].data);
      *resp.mutable_get_data()->mutable_stat() = tree_[p].stat;
      if (req.get_data().watch()) sessions_[*session_id].data_watches.insert(p);
      break;
    }
    case proto::Request::kGetChildren: {
      resp.set_op(proto::OP_GET_CHILDREN2);
      const std::string& p = req.get_children().path();
      if (!exists(p)) {
        resp.set_err(proto::NO_NODE);
        break;
      }
      for (const std::string& c : tree_[p].children) resp.mutable_get_children()->add_children(c);
      *resp.mutable_get_children()->mutable_stat() = tree_[p].stat;
      if (req.get_children().watch()) sessions_[*session_id].child_watches.insert(p);
      break;
    }
    case proto::Request::kSync:
      resp.set_op(proto::OP_SYNC);
      resp.mutable_sync()->set_path(req.sync().path());
      break;
    case proto::Request::kMulti: {
      resp.set_op(proto::OP_MULTI);
      const auto saved_tree = tree_;
      const int64_t saved_zxid = zxid_;
      int failed = -1;
      for (const proto::Op& op : req.multi().ops()) {
        proto::OpResult* r = resp.mutable_multi()->add_results();
        proto::ErrorCode err = proto::OK;
        if (failed >= 0) {
          r->set_err(proto::RUNTIME_INCONSISTENCY);
          continue;
        }
        if (op.has_create()) {
          err = ApplyCreate(op.create(), *session_id, r->mutable_create());
        } else if (op.has_delete_()) {
          err = ApplyDelete(op.delete_().path(), op.delete_().version());
          r->set_delete_(true);
        } else if (op.has_set_data()) {
          err = ApplySetData(op.set_data().path(), op.set_data().data(), op.set_data().version(),
                             r->mutable_set_data()->mutable_stat());
        } else if (op.has_check()) {
          auto it = tree_.find(op.check().path());
          err = it == tree_.end() ? proto::NO_NODE
                : (op.check().version() != -1 && it->second.stat.version() != op.check().version())
                    ? proto::BAD_VERSION
                    : proto::OK;
          r->set_check(true);
        }
        r->set_err(err);
        if (err != proto::OK) failed = resp.multi().results_size() - 1;
      }
      if (failed >= 0) {
        tree_ = saved_tree;
        zxid_ = saved_zxid;
        pending_events_.clear();
        resp.set_err(resp.multi().results(failed).err());
        for (int i = 0; i < failed; ++i) {
          proto::OpResult* r = resp.mutable_multi()->mutable_results(i);
          r->Clear();
          r->set_err(proto::OK);
        }
      }
      break;
    }
    case proto::Request::kSetWatches: {
      resp.set_op(proto::OP_SET_WATCHES);
      const proto::SetWatchesRequest& w = req.set_watches();
      const int64_t rel = w.relative_zxid();
      SessionInfo& s = sessions_[*session_id];
      for (const std::string& p : w.data_watches()) {
        if (!exists(p))
          pending_events_.emplace_back(p, proto::NODE_DELETED);
        else if (tree_[p].stat.mzxid() > rel)
          pending_events_.emplace_back(p, proto::NODE_DATA_CHANGED);
        else
          s.data_watches.insert(p);
      }
      for (const std::string& p : w.exist_watches()) {
        if (exists(p))
          pending_events_.emplace_back(p, proto::NODE_CREATED);
        else
          s.exist_watches.insert(p);
      }
      for (const std::string& p : w.child_watches()) {
        if (!exists(p))
          pending_events_.emplace_back(p, proto::NODE_DELETED);
        else if (tree_[p].stat.pzxid() > rel) {
          pending_events_.emplace_back(p, proto::NODE_CHILDREN_CHANGED);
        } else {
          s.child_watches.insert(p);
        }
      }
      // Missed events go only to this session (it holds no other watch yet).
      for (const auto& [p, type] : pending_events_) SendEvent(*session_id, p, type);
      pending_events_.clear();
      break;
    }
    case proto::Request::kAuth:
      resp.set_op(proto::OP_AUTH);
      if (req.auth().scheme() != "digest") resp.set_err(proto::AUTH_FAILED);
      break;
    case proto::Request::kGetEphemerals: {
      resp.set_op(proto::OP_GET_EPHEMERALS);
      for (const auto& [p, n] : tree_) {
        if (n.stat.ephemeral_owner() == *session_id &&
            p.rfind(req.get_ephemerals().prefix_path(), 0) == 0) {
          resp.mutable_get_ephemerals()->add_paths(p);
        }
      }
      break;
    }
    case proto::Request::kGetAllChildrenNumber: {
      resp.set_op(proto::OP_GET_ALL_CHILDREN_NUMBER);
      const std::string& p = req.get_all_children_number().path();
      if (!exists(p)) {
        resp.set_err(proto::NO_NODE);
        break;
      }
      const std::string prefix = p == "/" ? "/" : p + "/";
      int32_t n = 0;
      for (const auto& [q, node] : tree_) {
        if (q != p && q.rfind(prefix, 0) == 0) ++n;
      }
      resp.mutable_get_all_children_number()->set_total_number(n);
      break;
    }
    default:
      resp.set_err(proto::UNIMPLEMENTED);
      resp.set_error_message("not implemented by the fake server");
      break;
  }
  resp.set_zxid(zxid_);
  return resp;
}

proto::ErrorCode FakeZkServer::ApplyCreate(const proto::CreateRequest& c, int64_t session,
                                           proto::CreateResponse* out) {
  std::string path = c.path();
  const std::string parent = Parent(path);
  auto pit = tree_.find(parent);
  if (pit == tree_.end()) return proto::NO_NODE;
  if (pit->second.stat.ephemeral_owner() != 0) return proto::NO_CHILDREN_FOR_EPHEMERALS;
  const bool sequential =
      c.mode() == proto::PERSISTENT_SEQUENTIAL || c.mode() == proto::EPHEMERAL_SEQUENTIAL;
  if (sequential) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%010lld", static_cast<long long>(pit->second.sequence));
    path += buf;
  }
  if (tree_.count(path) > 0) return proto::NODE_EXISTS;
  ++zxid_;
  Node& p = tree_[parent];
  ++p.sequence;
  p.children.insert(Name(path));
  p.stat.set_cversion(p.stat.cversion() + 1);
  p.stat.set_num_children(static_cast<int32_t>(p.children.size()));
  p.stat.set_pzxid(zxid_);
  Node& n = tree_[path];
  n.data = c.data();
  n.stat.set_czxid(zxid_);
  n.stat.set_mzxid(zxid_);
  n.stat.set_pzxid(zxid_);
  n.stat.set_data_length(static_cast<int32_t>(n.data.size()));
  if (c.mode() == proto::EPHEMERAL || c.mode() == proto::EPHEMERAL_SEQUENTIAL) {
    n.stat.set_ephemeral_owner(session);
  }
  out->set_path(path);
  *out->mutable_stat() = n.stat;
  pending_events_.emplace_back(path, proto::NODE_CREATED);
  pending_events_.emplace_back(parent, proto::NODE_CHILDREN_CHANGED);
  return proto::OK;
}

proto::ErrorCode FakeZkServer::ApplyDelete(const std::string& path, int32_t version) {
  auto it = tree_.find(path);
  if (it == tree_.end() || path == "/") return proto::NO_NODE;
  if (version != -1 && it->second.stat.version() != version) return proto::BAD_VERSION;
  if (!it->second.children.empty()) return proto::NOT_EMPTY;
  tree_.erase(it);
  ++zxid_;
  Node& p = tree_[Parent(path)];
  p.children.erase(Name(path));
  p.stat.set_cversion(p.stat.cversion() + 1);
  p.stat.set_num_children(static_cast<int32_t>(p.children.size()));
  p.stat.set_pzxid(zxid_);
  pending_events_.emplace_back(path, proto::NODE_DELETED);
  pending_events_.emplace_back(Parent(path), proto::NODE_CHILDREN_CHANGED);
  return proto::OK;
}

proto::ErrorCode FakeZkServer::ApplySetData(const std::string& path, const std::string& data,
                                            int32_t version, proto::Stat* out) {
  auto it = tree_.find(path);
  if (it == tree_.end()) return proto::NO_NODE;
  if (version != -1 && it->second.stat.version() != version) return proto::BAD_VERSION;
  ++zxid_;
  it->second.data = data;
  it->second.stat.set_version(it->second.stat.version() + 1);
  it->second.stat.set_mzxid(zxid_);
  it->second.stat.set_data_length(static_cast<int32_t>(data.size()));
  *out = it->second.stat;
  pending_events_.emplace_back(path, proto::NODE_DATA_CHANGED);
  return proto::OK;
}

void FakeZkServer::FlushEvents() {
  auto events = std::move(pending_events_);
  pending_events_.clear();
  for (const auto& [path, type] : events) Fire(path, type);
}

void FakeZkServer::Fire(const std::string& path, proto::EventType type) {
  for (auto& [sid, s] : sessions_) {
    bool hit = false;
    if (type == proto::NODE_CREATED || type == proto::NODE_DATA_CHANGED ||
        type == proto::NODE_DELETED) {
      hit |= s.data_watches.erase(path) > 0;
      hit |= s.exist_watches.erase(path) > 0;
    }
    if (type == proto::NODE_DELETED || type == proto::NODE_CHILDREN_CHANGED) {
      hit |= s.child_watches.erase(path) > 0;
    }
    if (hit) SendEvent(sid, path, type);
  }
}

void FakeZkServer::SendEvent(int64_t session, const std::string& path, proto::EventType type) {
  auto it = sessions_.find(session);
  if (it == sessions_.end() || it->second.stream == nullptr) return;
  proto::ServerMessage msg;
  proto::Response* r = msg.add_responses();
  r->set_xid(-1);
  r->set_zxid(zxid_);
  r->set_op(proto::OP_NOTIFICATION);
  r->mutable_watch_event()->set_type(type);
  r->mutable_watch_event()->set_state(proto::SYNC_CONNECTED);
  r->mutable_watch_event()->set_path(path);
  r->mutable_watch_event()->set_zxid(zxid_);
  it->second.stream->Write(msg);
}

void FakeZkServer::RemoveSession(int64_t session) {
  std::vector<std::string> ephemerals;
  for (const auto& [p, n] : tree_) {
    if (n.stat.ephemeral_owner() == session) ephemerals.push_back(p);
  }
  for (const std::string& p : ephemerals) ApplyDelete(p, -1);
  auto it = sessions_.find(session);
  if (it != sessions_.end()) {
    if (it->second.context != nullptr) it->second.context->TryCancel();
    sessions_.erase(it);
  }
  FlushEvents();
}

void FakeZkServer::SetDataDirect(const std::string& path, const std::string& data) {
  std::lock_guard<std::mutex> lock(mu_);
  proto::Stat stat;
  ApplySetData(path, data, -1, &stat);
  FlushEvents();
}

bool FakeZkServer::NodeExists(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  return tree_.count(path) > 0;
}

void FakeZkServer::ExpireSession(int64_t session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  RemoveSession(session_id);
}

size_t FakeZkServer::session_count() {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

int64_t FakeZkServer::requests_received() {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

int64_t FakeZkServer::messages_received() {
  std::lock_guard<std::mutex> lock(mu_);
  return messages_;
}

}  // namespace zk::testing
