// Session transactions: createSession and closeSession each take one zxid;
// closing deletes the session's ephemerals in that same txn (observed §7).
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/server/tree_harness.h"

namespace zabkeeper::server {
namespace {

using testing::Create;
using testing::Delete;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::kSession;
using testing::kSession2;
using testing::TreeHarness;

TEST(SessionTxn, CreateSession_RecordsSessionAndTakesAZxid) {
  TreeHarness h;
  ApplyResult r = h.CreateSession(kSession2, 12345);
  EXPECT_EQ(r.err, proto::OK);
  ASSERT_TRUE(h.sm().sessions().contains(kSession2));
  const proto::SessionRecord& rec = h.sm().sessions().at(kSession2);
  EXPECT_EQ(rec.session_id(), kSession2);
  EXPECT_EQ(rec.timeout_ms(), 12345);
  EXPECT_EQ(rec.password(), "pw");
  EXPECT_EQ(h.sm().last_applied().raw(), 1u);
  h.MustWrite(Create("/x"));
  EXPECT_EQ(h.StatOf("/x").czxid(), 2);
}

TEST(SessionTxn, CloseSession_DeletesEphemeralsAtOneZxid) {
  TreeHarness h;
  h.CreateSession(kSession);
  h.CreateSession(kSession2);
  h.MustWrite(Create("/eph"));
  h.MustWrite(Create("/eph/e1", "", proto::EPHEMERAL), kSession2);
  h.MustWrite(Create("/eph/e2", "", proto::EPHEMERAL_SEQUENTIAL), kSession2);
  h.MustWrite(Create("/top", "", proto::EPHEMERAL), kSession2);
  h.MustWrite(Create("/eph/mine", "", proto::EPHEMERAL), kSession);
  ASSERT_TRUE(h.Exists("/eph/e20000000001"));
  proto::Stat before = h.StatOf("/eph");
  EXPECT_EQ(before.cversion(), 3);
  EXPECT_EQ(before.num_children(), 3);
  EXPECT_THAT(h.tree().EphemeralsOf(kSession2),
              ElementsAre("/eph/e1", "/eph/e20000000001", "/top"));

  ApplyResult r = h.CloseSession(kSession2);
  const int64_t close_zxid = h.last_zxid();
  EXPECT_EQ(r.err, proto::OK);
  EXPECT_FALSE(h.Exists("/eph/e1"));
  EXPECT_FALSE(h.Exists("/eph/e20000000001"));
  EXPECT_FALSE(h.Exists("/top"));
  EXPECT_TRUE(h.Exists("/eph/mine"));  // another session's ephemeral stays
  EXPECT_THAT(h.tree().EphemeralsOf(kSession2), IsEmpty());
  EXPECT_FALSE(h.sm().sessions().contains(kSession2));
  EXPECT_TRUE(h.sm().sessions().contains(kSession));

  proto::Stat after = h.StatOf("/eph");
  EXPECT_EQ(after.pzxid(), close_zxid);
  EXPECT_EQ(after.cversion(), before.cversion() + 2);  // +1 per removed child
  EXPECT_EQ(after.num_children(), 1);
  EXPECT_EQ(after.mzxid(), before.mzxid());
  EXPECT_EQ(h.StatOf("/").pzxid(), close_zxid);

  // Watch events for every deletion, in the same change set.
  int deleted = 0;
  for (const TreeEvent& e : h.last_changes().events) deleted += e.type == proto::NODE_DELETED;
  EXPECT_EQ(deleted, 3);

  // Close took exactly one zxid.
  h.MustWrite(Create("/after"));
  EXPECT_EQ(h.StatOf("/after").czxid(), close_zxid + 1);
}

TEST(SessionTxn, CloseSession_TxnListsPathsSorted) {
  TreeHarness h;
  h.MustWrite(Create("/b", "", proto::EPHEMERAL), kSession2);
  h.MustWrite(Create("/a", "", proto::EPHEMERAL), kSession2);
  TreeHarness::Prepared p = h.PrepareClose(kSession2);
  ASSERT_EQ(p.txn.body_case(), proto::Txn::kCloseSession);
  EXPECT_THAT(p.txn.close_session().paths_to_delete(), ElementsAre("/a", "/b"));
  EXPECT_EQ(p.txn.session_id(), kSession2);
  EXPECT_EQ(h.Apply(p).err, proto::OK);
}

TEST(SessionTxn, CloseSession_WithoutEphemerals_OnlyRemovesSession) {
  TreeHarness h;
  h.CreateSession(kSession2);
  h.MustWrite(Create("/p"), kSession2);
  const uint64_t digest = h.tree().digest();
  EXPECT_EQ(h.CloseSession(kSession2).err, proto::OK);
  EXPECT_EQ(h.tree().digest(), digest);
  EXPECT_TRUE(h.Exists("/p"));
  EXPECT_FALSE(h.sm().sessions().contains(kSession2));
}

TEST(SessionTxn, CloseSession_IncludesPendingEphemeralCreate) {
  TreeHarness h;
  auto create = h.Prepare(kSession2, Create("/pe", "", proto::EPHEMERAL));
  auto close = h.PrepareClose(kSession2);
  EXPECT_THAT(close.txn.close_session().paths_to_delete(), ElementsAre("/pe"));
  EXPECT_EQ(h.Apply(create).err, proto::OK);
  EXPECT_EQ(h.Apply(close).err, proto::OK);
  EXPECT_FALSE(h.Exists("/pe"));
  EXPECT_THAT(h.tree().EphemeralsOf(kSession2), IsEmpty());
}

TEST(SessionTxn, CloseSession_SkipsEphemeralWhoseDeleteIsPending) {
  TreeHarness h;
  h.MustWrite(Create("/pe", "", proto::EPHEMERAL), kSession2);
  auto del = h.Prepare(kSession, Delete("/pe"));
  auto close = h.PrepareClose(kSession2);
  EXPECT_THAT(close.txn.close_session().paths_to_delete(), IsEmpty());
  EXPECT_EQ(h.Apply(del).err, proto::OK);
  EXPECT_EQ(h.Apply(close).err, proto::OK);
}

TEST(SessionTxn, EphemeralCreateAfterClosePrepared_SessionExpired) {
  TreeHarness h;
  h.CreateSession(kSession2);
  auto close = h.PrepareClose(kSession2);
  auto late = h.Prepare(kSession2, Create("/late", "", proto::EPHEMERAL));
  ASSERT_EQ(late.txn.body_case(), proto::Txn::kError);
  EXPECT_EQ(late.txn.error().err(), proto::SESSION_EXPIRED);
  EXPECT_EQ(h.Apply(close).err, proto::OK);
  EXPECT_EQ(h.Apply(late).err, proto::SESSION_EXPIRED);
  EXPECT_FALSE(h.Exists("/late"));
}

TEST(SessionTxn, PendingParentAfterClose_SeesRemovedChildren) {
  TreeHarness h;
  h.MustWrite(Create("/p"));
  h.MustWrite(Create("/p/e", "", proto::EPHEMERAL), kSession2);
  auto close = h.PrepareClose(kSession2);
  // Prepared after the close: /p is empty then, so delete succeeds.
  auto del = h.Prepare(kSession, Delete("/p"));
  EXPECT_EQ(del.txn.body_case(), proto::Txn::kDelete);
  EXPECT_EQ(h.Apply(close).err, proto::OK);
  EXPECT_EQ(h.Apply(del).err, proto::OK);
  EXPECT_FALSE(h.Exists("/p"));
}

}  // namespace
}  // namespace zabkeeper::server
