// OneNode: a NodeCore driven by hand over the memory stores, its NodeReady
// batches carried out as the contract in node_core.h says (storage ops
// complete at once, then get reported). Shared by the node-core unit tests.
#ifndef ZABKEEPER_TESTS_UNIT_SERVER_ONE_NODE_H_
#define ZABKEEPER_TESTS_UNIT_SERVER_ONE_NODE_H_

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "server/node_core.h"
#include "storage/memory_storage.h"

namespace zabkeeper::server::coretest {

inline proto::Acl OpenAcl() {
  proto::Acl acl;
  acl.set_perms(0x1f);
  acl.mutable_id()->set_scheme("world");
  acl.mutable_id()->set_id("anyone");
  return acl;
}

// One node and its disk; storage ops complete at once (then get reported).
class OneNode {
 public:
  explicit OneNode(std::vector<uint64_t> voters = {1}, int64_t start_wall_ms = 0)
      : OneNode(WithVoters(std::move(voters), start_wall_ms)) {}
  explicit OneNode(NodeCoreConfig config) : config_(std::move(config)) { Reopen(); }
  static NodeCoreConfig WithVoters(std::vector<uint64_t> voters, int64_t start_wall_ms = 0) {
    NodeCoreConfig c;
    c.voters = std::move(voters);
    c.start_wall_ms = start_wall_ms;
    return c;
  }
  void Reopen() {
    auto core = NodeCore::Open(config_, log_, state_, epochs_);
    ASSERT_TRUE(core.ok()) << core.status();
    core_ = std::move(*core);
    now_ += 100;
    core_->Tick(now_);
    Drive();
  }
  NodeCore& core() { return *core_; }
  // Carries out every batch; returns the client output, in order.
  std::vector<ClientOut> Drive() {
    std::vector<ClientOut> out;
    for (int round = 0; round < 100 && core_->HasReady(); ++round) {
      NodeReady ready = core_->TakeReady();
      Zxid persisted;
      for (StorageOp& op : ready.storage) {
        switch (op.kind) {
          case StorageOp::kAppend:
            EXPECT_TRUE(log_.Append(op.entries).ok());
            persisted = op.entries.back().zxid;
            break;
          case StorageOp::kAcceptedEpoch:
            EXPECT_TRUE(epochs_.SetAcceptedEpoch(op.epoch).ok());
            core_->AcceptedEpochPersisted(op.epoch);
            break;
          case StorageOp::kCurrentEpoch:
            EXPECT_TRUE(epochs_.SetCurrentEpoch(op.epoch).ok());
            core_->CurrentEpochPersisted(op.epoch);
            break;
          case StorageOp::kState:
            EXPECT_TRUE(state_.Write(op.state).ok());
            break;
          case StorageOp::kPurge:
            // As StorageWriter: never above the state's durable point.
            EXPECT_TRUE(log_.PurgeBefore(storage::PurgePoint(op.zxid, state_)).ok());
            break;
          default:
            break;
        }
      }
      if (!persisted.IsZero()) core_->Persisted(persisted);
      for (ClientOut& c : ready.client) out.push_back(std::move(c));
      closed_.insert(closed_.end(), ready.close.begin(), ready.close.end());
    }
    return out;
  }
  // Time passes in core ticks of 100 ms.
  std::vector<ClientOut> Advance(int64_t ms) {
    std::vector<ClientOut> out;
    for (int64_t t = 0; t < ms; t += 100) {
      now_ += 100;
      core_->Tick(now_);
      for (ClientOut& c : Drive()) out.push_back(std::move(c));
    }
    return out;
  }
  std::vector<ClientOut> Request(ConnId conn, proto::Request request) {
    core_->ClientRequest(conn, request);
    return Drive();
  }
  const std::vector<ConnId>& closed() const { return closed_; }
  const storage::MemoryTxnLog& log() const { return log_; }

 private:
  NodeCoreConfig config_;
  storage::MemoryTxnLog log_;
  storage::MemoryStateStore state_;
  storage::MemoryEpochStore epochs_;
  std::unique_ptr<NodeCore> core_;
  int64_t now_ = 1000;
  std::vector<ConnId> closed_;
};

inline proto::Request Connect(int64_t xid) {
  proto::Request r;
  r.set_xid(xid);
  r.mutable_connect()->set_timeout_ms(10000);
  return r;
}

// Request builders the node-core tests share.
inline proto::Request Create(int64_t xid, const std::string& path,
                             const proto::Acl& acl = OpenAcl()) {
  proto::Request r;
  r.set_xid(xid);
  r.mutable_create()->set_path(path);
  *r.mutable_create()->add_acl() = acl;
  return r;
}

inline proto::Request Delete(int64_t xid, const std::string& path) {
  proto::Request r;
  r.set_xid(xid);
  r.mutable_delete_()->set_path(path);
  r.mutable_delete_()->set_version(-1);
  return r;
}

inline proto::Request Exists(int64_t xid, const std::string& path, bool watch = false) {
  proto::Request r;
  r.set_xid(xid);
  r.mutable_exists()->set_path(path);
  r.mutable_exists()->set_watch(watch);
  return r;
}

inline proto::Request GetData(int64_t xid, const std::string& path, bool watch = false) {
  proto::Request r;
  r.set_xid(xid);
  r.mutable_get_data()->set_path(path);
  r.mutable_get_data()->set_watch(watch);
  return r;
}

inline proto::Request GetChildren(int64_t xid, const std::string& path, bool watch = false) {
  proto::Request r;
  r.set_xid(xid);
  r.mutable_get_children()->set_path(path);
  r.mutable_get_children()->set_watch(watch);
  return r;
}

}  // namespace zabkeeper::server::coretest

#endif  // ZABKEEPER_TESTS_UNIT_SERVER_ONE_NODE_H_
