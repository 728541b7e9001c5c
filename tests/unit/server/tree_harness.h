// Test harness for tree semantics: a StateMachine + Preparer + zxid counter,
// driven the way the server's write pipeline drives them (prepare against the
// tree and the pending overlay, apply at the next zxid, then Applied(zxid)).
#ifndef ZABKEEPER_TESTS_UNIT_SERVER_TREE_HARNESS_H_
#define ZABKEEPER_TESTS_UNIT_SERVER_TREE_HARNESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/preparer.h"
#include "server/state_machine.h"
#include "zabkeeper/client.pb.h"

namespace zabkeeper::server::testing {

inline constexpr int64_t kSession = 0x1000004a4080001;
inline constexpr int64_t kSession2 = 0x1000004a4080023;

inline google::protobuf::RepeatedPtrField<proto::Acl> OpenAcl() {
  google::protobuf::RepeatedPtrField<proto::Acl> acl;
  proto::Acl* a = acl.Add();
  a->set_perms(31);
  a->mutable_id()->set_scheme("world");
  a->mutable_id()->set_id("anyone");
  return acl;
}

inline proto::Acl MakeAcl(int perms, const std::string& scheme, const std::string& id) {
  proto::Acl a;
  a.set_perms(perms);
  a.mutable_id()->set_scheme(scheme);
  a.mutable_id()->set_id(id);
  return a;
}

inline proto::CreateRequest CreateOp(const std::string& path, const std::string& data = "",
                                     proto::CreateMode mode = proto::PERSISTENT,
                                     int64_t ttl_ms = 0) {
  proto::CreateRequest c;
  c.set_path(path);
  c.set_data(data);
  *c.mutable_acl() = OpenAcl();
  c.set_mode(mode);
  c.set_ttl_ms(ttl_ms);
  return c;
}

inline proto::Request Create(const std::string& path, const std::string& data = "",
                             proto::CreateMode mode = proto::PERSISTENT, int64_t ttl_ms = 0) {
  proto::Request r;
  *r.mutable_create() = CreateOp(path, data, mode, ttl_ms);
  return r;
}

inline proto::Request CreateWithAcl(const std::string& path, const std::vector<proto::Acl>& acl) {
  proto::Request r = Create(path);
  r.mutable_create()->clear_acl();
  for (const proto::Acl& a : acl) *r.mutable_create()->add_acl() = a;
  return r;
}

inline proto::Request Delete(const std::string& path, int32_t version = -1) {
  proto::Request r;
  r.mutable_delete_()->set_path(path);
  r.mutable_delete_()->set_version(version);
  return r;
}

inline proto::Request SetData(const std::string& path, const std::string& data,
                              int32_t version = -1) {
  proto::Request r;
  r.mutable_set_data()->set_path(path);
  r.mutable_set_data()->set_data(data);
  r.mutable_set_data()->set_version(version);
  return r;
}

inline proto::Request SetAcl(const std::string& path, const std::vector<proto::Acl>& acl,
                             int32_t version = -1) {
  proto::Request r;
  r.mutable_set_acl()->set_path(path);
  for (const proto::Acl& a : acl) *r.mutable_set_acl()->add_acl() = a;
  r.mutable_set_acl()->set_version(version);
  return r;
}

// Multi ops.
inline proto::Op OpCreate(const std::string& path, const std::string& data = "",
                          proto::CreateMode mode = proto::PERSISTENT) {
  proto::Op op;
  *op.mutable_create() = CreateOp(path, data, mode);
  return op;
}
inline proto::Op OpDelete(const std::string& path, int32_t version = -1) {
  proto::Op op;
  op.mutable_delete_()->set_path(path);
  op.mutable_delete_()->set_version(version);
  return op;
}
inline proto::Op OpSetData(const std::string& path, const std::string& data, int32_t version = -1) {
  proto::Op op;
  op.mutable_set_data()->set_path(path);
  op.mutable_set_data()->set_data(data);
  op.mutable_set_data()->set_version(version);
  return op;
}
inline proto::Op OpCheck(const std::string& path, int32_t version) {
  proto::Op op;
  op.mutable_check()->set_path(path);
  op.mutable_check()->set_version(version);
  return op;
}
inline proto::Request Multi(const std::vector<proto::Op>& ops) {
  proto::Request r;
  proto::MultiRequest* m = r.mutable_multi();
  for (const proto::Op& op : ops) *m->add_ops() = op;
  return r;
}

class TreeHarness {
 public:
  explicit TreeHarness(PreparerLimits limits = PreparerLimits()) : preparer_(limits) {}

  struct Prepared {
    int64_t zxid = 0;
    proto::Txn txn;
    std::string detail;
  };

  // Deterministic clock: a function of the zxid, so two harnesses that run
  // the same script produce identical trees.
  static int64_t TimeFor(int64_t zxid) { return 1700000000000 + zxid * 10; }

  Prepared Prepare(int64_t session, const proto::Request& request) {
    Prepared p;
    p.zxid = ++next_zxid_;
    p.txn = preparer_.Prepare(sm_.tree(), session, request, ZxidOfStat(p.zxid), TimeFor(p.zxid),
                              &p.detail);
    return p;
  }

  Prepared PrepareClose(int64_t session) {
    Prepared p;
    p.zxid = ++next_zxid_;
    p.txn = preparer_.PrepareCloseSession(sm_.tree(), session, ZxidOfStat(p.zxid), TimeFor(p.zxid));
    return p;
  }

  ApplyResult Apply(const Prepared& p) {
    last_changes_ = ChangeSet();
    ApplyResult result = sm_.Apply(ZxidOfStat(p.zxid), p.txn, &last_changes_);
    preparer_.Applied(ZxidOfStat(p.zxid));
    if (result.error_detail.empty()) result.error_detail = p.detail;
    return result;
  }

  // What the server pipeline does for one request.
  ApplyResult Write(int64_t session, const proto::Request& request) {
    return Apply(Prepare(session, request));
  }
  ApplyResult Write(const proto::Request& request) { return Write(kSession, request); }

  ApplyResult CreateSession(int64_t session, int32_t timeout_ms = 30000) {
    Prepared p;
    p.zxid = ++next_zxid_;
    p.txn = preparer_.PrepareCreateSession(session, timeout_ms, "pw", TimeFor(p.zxid));
    return Apply(p);
  }
  ApplyResult CloseSession(int64_t session) { return Apply(PrepareClose(session)); }

  // Asserting helper for test setup steps.
  void MustWrite(const proto::Request& request, int64_t session = kSession) {
    ApplyResult r = Write(session, request);
    ASSERT_EQ(r.err, proto::OK) << request.ShortDebugString() << ": " << r.error_detail;
  }

  const Znode* Find(const std::string& path) const { return sm_.tree().Find(path); }
  bool Exists(const std::string& path) const { return Find(path) != nullptr; }

  // The stat as a client sees it (exists / getData).
  proto::Stat StatOf(const std::string& path) const {
    proto::Stat stat;
    const Znode* node = Find(path);
    EXPECT_NE(node, nullptr) << path;
    if (node != nullptr) node->FillStat(&stat);
    return stat;
  }

  int64_t last_zxid() const { return next_zxid_; }
  StateMachine& sm() { return sm_; }
  const DataTree& tree() const { return sm_.tree(); }
  Preparer& preparer() { return preparer_; }
  const ChangeSet& last_changes() const { return last_changes_; }

 private:
  StateMachine sm_;
  Preparer preparer_;
  int64_t next_zxid_ = 0;
  ChangeSet last_changes_;
};

}  // namespace zabkeeper::server::testing

#endif  // ZABKEEPER_TESTS_UNIT_SERVER_TREE_HARNESS_H_
