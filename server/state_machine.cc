#include "server/state_machine.h"

#include <algorithm>

#include "glog/logging.h"
#include "server/errors.h"

namespace zabkeeper::server {
namespace {

void SetError(const absl::Status& status, ApplyResult* result) {
  result->err = ErrorCodeOf(status);
  result->error_detail = std::string(status.message());
}

}  // namespace

ApplyResult StateMachine::Apply(Zxid zxid, const proto::Txn& txn, ChangeSet* changes) {
  ApplyResult result;
  if (txn.body_case() == proto::Txn::kMulti) {
    ApplyMulti(zxid, txn, changes, &result);
  } else {
    result = ApplyOne(zxid, txn, txn.time_ms(), changes);
  }
  dirty_paths_.insert(changes->dirty_paths.begin(), changes->dirty_paths.end());
  last_applied_ = std::max(last_applied_, zxid);
  return result;
}

ApplyResult StateMachine::ApplyOne(Zxid zxid, const proto::Txn& txn, int64_t time_ms,
                                   ChangeSet* changes) {
  ApplyResult result;
  absl::Status status;
  switch (txn.body_case()) {
    case proto::Txn::kCreate: {
      status = tree_.CreateNode(txn.create(), zxid, time_ms, changes);
      if (status.ok()) {
        result.path = txn.create().path();
        tree_.Find(result.path)->FillStat(&result.stat);
        result.has_stat = true;
      }
      break;
    }
    case proto::Txn::kDelete:
      status = tree_.DeleteNode(txn.delete_().path(), zxid, changes);
      break;
    case proto::Txn::kSetData:
      status = tree_.SetData(txn.set_data(), zxid, time_ms, changes);
      if (status.ok()) {
        tree_.Find(txn.set_data().path())->FillStat(&result.stat);
        result.has_stat = true;
      }
      break;
    case proto::Txn::kSetAcl:
      status = tree_.SetAcl(txn.set_acl(), changes);
      if (status.ok()) {
        tree_.Find(txn.set_acl().path())->FillStat(&result.stat);
        result.has_stat = true;
      }
      break;
    case proto::Txn::kCheck:
      break;  // a check inside a successful multi changes nothing
    case proto::Txn::kCreateSession: {
      proto::SessionRecord& record = sessions_[txn.session_id()];
      record.set_session_id(txn.session_id());
      record.set_timeout_ms(txn.create_session().timeout_ms());
      record.set_password(txn.create_session().password());
      dirty_sessions_.insert(txn.session_id());
      break;
    }
    case proto::Txn::kCloseSession: {
      for (const std::string& path : txn.close_session().paths_to_delete()) {
        absl::Status s = tree_.DeleteNode(path, zxid, changes);
        if (!s.ok()) LOG(WARNING) << "closeSession 0x" << std::hex << txn.session_id() << ": " << s;
      }
      sessions_.erase(txn.session_id());
      dirty_sessions_.insert(txn.session_id());
      break;
    }
    case proto::Txn::kError:
      result.err = txn.error().err();
      break;
    case proto::Txn::kMulti:
    case proto::Txn::BODY_NOT_SET:
      status = ZkError(proto::MARSHALLING_ERROR, "txn without a body");
      break;
  }
  if (!status.ok()) {
    // Prepare validated this txn against the same state; reaching here means
    // the txn was applied to a state it was not prepared for.
    LOG(ERROR) << "txn at zxid 0x" << std::hex << zxid << " did not apply: " << status;
    SetError(status, &result);
  }
  return result;
}

void StateMachine::ApplyMulti(Zxid zxid, const proto::Txn& txn, ChangeSet* changes,
                              ApplyResult* result) {
  bool failed = false;
  for (const proto::Txn& sub : txn.multi().txns()) {
    if (sub.body_case() == proto::Txn::kError && sub.error().err() != proto::OK) failed = true;
  }
  for (const proto::Txn& sub : txn.multi().txns()) {
    proto::OpResult& op = result->multi.emplace_back();
    if (failed) {
      op.set_err(sub.body_case() == proto::Txn::kError ? sub.error().err() : proto::OK);
      if (op.err() != proto::OK && op.err() != proto::RUNTIME_INCONSISTENCY &&
          result->err == proto::OK) {
        result->err = op.err();
      }
      continue;
    }
    ApplyResult one = ApplyOne(zxid, sub, txn.time_ms(), changes);
    op.set_err(one.err);
    switch (sub.body_case()) {
      case proto::Txn::kCreate:
        op.mutable_create()->set_path(one.path);
        *op.mutable_create()->mutable_stat() = one.stat;
        break;
      case proto::Txn::kSetData:
        *op.mutable_set_data()->mutable_stat() = one.stat;
        break;
      case proto::Txn::kDelete:
        op.set_delete_(true);
        break;
      case proto::Txn::kCheck:
        op.set_check(true);
        break;
      default:
        break;
    }
    if (one.err != proto::OK && result->err == proto::OK) result->err = one.err;
  }
}

storage::StateBatch StateMachine::TakeBatch() {
  storage::StateBatch batch;
  batch.last_applied = last_applied_;
  for (const std::string& path : dirty_paths_) {
    const Znode* node = tree_.Find(path);
    if (node == nullptr) {
      batch.nodes.emplace_back(path, std::nullopt);
    } else {
      batch.nodes.emplace_back(path, tree_.ToRecord(*node));
    }
  }
  for (int64_t id : dirty_sessions_) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
      batch.sessions.emplace_back(id, std::nullopt);
    } else {
      batch.sessions.emplace_back(id, it->second);
    }
  }
  dirty_paths_.clear();
  dirty_sessions_.clear();
  return batch;
}

absl::Status StateMachine::LoadFrom(const storage::StateStore& store) {
  tree_ = DataTree();
  sessions_.clear();
  dirty_paths_.clear();
  dirty_sessions_.clear();
  absl::Status status =
      store.Load([this](const std::string& path,
                        const proto::ZnodeRecord& record) { return tree_.LoadNode(path, record); },
                 [this](const proto::SessionRecord& record) {
                   sessions_[record.session_id()] = record;
                   return absl::OkStatus();
                 });
  last_applied_ = store.LastApplied();
  return status;
}

void StateMachine::FillSnapshot(proto::StateSnapshot* out) const {
  out->set_zxid(last_applied_.raw());
  out->mutable_nodes()->Reserve(static_cast<int>(tree_.node_count()));
  tree_.ForEach([&](const std::string& path, const Znode& node) {
    proto::StateSnapshot::Node* n = out->add_nodes();
    n->set_path(path);
    *n->mutable_record() = tree_.ToRecord(node);
  });
  for (const auto& [id, record] : sessions_) *out->add_sessions() = record;
}

absl::Status StateMachine::LoadSnapshot(const proto::StateSnapshot& snapshot) {
  tree_ = DataTree();
  sessions_.clear();
  dirty_paths_.clear();
  dirty_sessions_.clear();
  for (const proto::StateSnapshot::Node& n : snapshot.nodes()) {
    if (absl::Status s = tree_.LoadNode(n.path(), n.record()); !s.ok()) return s;
  }
  for (const proto::SessionRecord& r : snapshot.sessions()) sessions_[r.session_id()] = r;
  last_applied_ = Zxid::FromRaw(snapshot.zxid());
  return absl::OkStatus();
}

storage::StateBatch StateMachine::FullState() const {
  storage::StateBatch batch;
  batch.last_applied = last_applied_;
  tree_.ForEach([&](const std::string& path, const Znode& node) {
    batch.nodes.emplace_back(path, tree_.ToRecord(node));
  });
  for (const auto& [id, record] : sessions_) batch.sessions.emplace_back(id, record);
  return batch;
}

}  // namespace zabkeeper::server
