// Persistence on a real RocksDB in a temp dir: apply many txns through the
// StateMachine, persist with TakeBatch, close the database, reopen, LoadFrom,
// and compare the whole tree, stats, sessions and digest.
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/state_machine.h"
#include "storage/rocksdb_storage.h"
#include "tests/unit/server/tree_harness.h"
#include "tests/unit/storage/temp_dir.h"

namespace zabkeeper::storage {
namespace {

using ::zab::Zxid;

using server::ApplyResult;
using server::StateMachine;
using server::Znode;
using server::testing::Create;
using server::testing::Delete;
using server::testing::MakeAcl;
using server::testing::Multi;
using server::testing::OpCheck;
using server::testing::OpCreate;
using server::testing::OpDelete;
using server::testing::SetAcl;
using server::testing::SetData;
using server::testing::TreeHarness;

struct Db {
  std::unique_ptr<RocksDb> rocks;
  std::unique_ptr<RocksStateStore> state;
  std::unique_ptr<RocksTxnLog> log;
};

Db OpenDb(const std::string& dir) {
  Db db;
  auto rocks = RocksDb::Open(dir);
  EXPECT_TRUE(rocks.ok()) << rocks.status();
  if (!rocks.ok()) return db;
  db.rocks = std::move(*rocks);
  auto state = RocksStateStore::Open(db.rocks.get());
  EXPECT_TRUE(state.ok()) << state.status();
  db.state = std::move(*state);
  auto log = RocksTxnLog::Open(db.rocks.get());
  EXPECT_TRUE(log.ok()) << log.status();
  db.log = std::move(*log);
  return db;
}

void CloseDb(Db& db) {
  db.state.reset();
  db.log.reset();
  db.rocks.reset();
}

// Serialized form of a whole state, comparable with ==.
std::vector<std::string> Flatten(const StateBatch& batch) {
  std::vector<std::string> out;
  out.push_back(absl::StrCat("last_applied=", batch.last_applied.raw()));
  for (const auto& [path, record] : batch.nodes) {
    out.push_back(absl::StrCat("node ", path, " ", record ? record->ShortDebugString() : "-"));
  }
  for (const auto& [id, record] : batch.sessions) {
    out.push_back(absl::StrCat("session ", id, " ", record ? record->ShortDebugString() : "-"));
  }
  return out;
}

// Reported stats and children of every node.
std::vector<std::string> Views(const StateMachine& sm) {
  std::vector<std::string> out;
  sm.tree().ForEach([&](const std::string& path, const Znode& node) {
    proto::Stat stat;
    node.FillStat(&stat);
    std::string line = absl::StrCat(path, " ", stat.ShortDebugString(), " [");
    for (absl::string_view c : node.children) absl::StrAppend(&line, c, ",");
    out.push_back(line + "]");
  });
  return out;
}

// Drives a harness through a varied, deterministic workload; persists a batch
// every `every` txns (and at the end) and logs every txn.
class Workload {
 public:
  Workload(TreeHarness* h, Db* db, int every) : h_(h), db_(db), every_(every) {}

  ApplyResult Write(int64_t session, const proto::Request& req) {
    TreeHarness::Prepared p = h_->Prepare(session, req);
    return Finish(p);
  }
  ApplyResult CreateSession(int64_t session) {
    ApplyResult r = h_->CreateSession(session);
    Log(h_->last_zxid(), proto::Txn());  // payload content irrelevant here
    MaybePersist();
    return r;
  }
  ApplyResult CloseSession(int64_t session) {
    TreeHarness::Prepared p = h_->PrepareClose(session);
    return Finish(p);
  }
  void Persist() {
    StateBatch batch = h_->sm().TakeBatch();
    ASSERT_TRUE(db_->state->Write(batch).ok());
  }

  void Run(int rounds, uint32_t seed) {
    std::mt19937 rng(seed);
    const int64_t s1 = 0x100000000000001;
    const int64_t s2 = 0x100000000000002;
    CreateSession(s1);
    CreateSession(s2);
    Write(s1, Create("/app", "root"));
    Write(s1, Create("/app/locks"));
    Write(s1, Create("/app/cfg", std::string("bin\0\xff", 5)));
    std::vector<std::string> live;
    for (int i = 0; i < rounds; ++i) {
      const int op = static_cast<int>(rng() % 10);
      ApplyResult r;
      switch (op) {
        case 0:
        case 1:
          r = Write(s1, Create("/app/n-", absl::StrCat("v", i), proto::PERSISTENT_SEQUENTIAL));
          if (r.err == proto::OK) live.push_back(r.path);
          break;
        case 2:
          Write(s2, Create("/app/locks/l-", "", proto::EPHEMERAL_SEQUENTIAL));
          break;
        case 3:
          if (!live.empty()) {
            Write(s1, Delete(live[rng() % live.size()]));
          }
          break;
        case 4:
          if (!live.empty()) {
            Write(s1, SetData(live[rng() % live.size()], absl::StrCat("d", i)));
          }
          break;
        case 5:
          Write(s1,
                SetAcl("/app/cfg", {MakeAcl(static_cast<int>(1 + rng() % 31), "world", "anyone")}));
          break;
        case 6:
          Write(s1, Multi({OpCreate(absl::StrCat("/m", i)),
                           OpCreate(absl::StrCat("/m", i, "/c-"), "", proto::PERSISTENT_SEQUENTIAL),
                           OpCheck("/app", -1)}));
          break;
        case 7:
          Write(s1, Multi({OpCreate("/app/x"), OpDelete("/nonexistent")}));  // fails
          break;
        case 8:
          Write(s1, Create("/app"));  // NODE_EXISTS: an ErrorTxn
          break;
        case 9:
          Write(s1, Create(absl::StrCat("/ttl", i), "", proto::PERSISTENT_WITH_TTL, 1000));
          break;
      }
      if (i == rounds / 2) {
        // Rotate s2: its ephemerals go away with the close.
        CloseSession(s2);
        CreateSession(s2);
      }
    }
    Write(s1, Create("/c", "", proto::CONTAINER));
    Write(s1, SetData("/", "root data"));
    Persist();
  }

 private:
  ApplyResult Finish(const TreeHarness::Prepared& p) {
    Log(p.zxid, p.txn);
    ApplyResult r = h_->Apply(p);
    MaybePersist();
    return r;
  }
  void Log(int64_t zxid, const proto::Txn& txn) {
    ASSERT_TRUE(
        db_->log
            ->Append({{::zab::Zxid::FromRaw(static_cast<uint64_t>(zxid)), txn.SerializeAsString()}})
            .ok());
  }
  void MaybePersist() {
    if (++since_persist_ >= every_) {
      since_persist_ = 0;
      Persist();
    }
  }
  TreeHarness* h_;
  Db* db_;
  int every_;
  int since_persist_ = 0;
};

TEST(RocksPersistence, WriteCloseReopen_LoadsIdenticalStateAndDigest) {
  testing::TempDir dir;
  TreeHarness h;
  Db db = OpenDb(dir.Sub("db"));
  ASSERT_NE(db.state, nullptr);
  Workload(&h, &db, 7).Run(600, 1234);
  const StateBatch full = h.sm().FullState();
  ASSERT_GT(full.nodes.size(), 100u);
  ASSERT_EQ(h.sm().sessions().size(), 2u);
  CloseDb(db);

  Db reopened = OpenDb(dir.Sub("db"));
  ASSERT_NE(reopened.state, nullptr);
  EXPECT_EQ(reopened.state->LastApplied().raw(), static_cast<uint64_t>(h.last_zxid()));
  StateMachine loaded;
  ASSERT_TRUE(loaded.LoadFrom(*reopened.state).ok());
  EXPECT_EQ(Flatten(loaded.FullState()), Flatten(full));
  EXPECT_EQ(loaded.tree().digest(), h.tree().digest());
  EXPECT_EQ(loaded.tree().node_count(), h.tree().node_count());
  EXPECT_EQ(loaded.last_applied(), h.sm().last_applied());
  EXPECT_EQ(Views(loaded), Views(h.sm()));
  EXPECT_EQ(loaded.tree().ephemerals(), h.tree().ephemerals());
  EXPECT_FALSE(loaded.tree().ephemerals().empty());
  // Nothing is dirty right after a load.
  EXPECT_TRUE(loaded.TakeBatch().empty());
}

TEST(RocksPersistence, Reloaded_ContinuesSequenceNumbering) {
  testing::TempDir dir;
  TreeHarness h;
  Db db = OpenDb(dir.Sub("db"));
  Workload w(&h, &db, 1);
  w.Write(1, Create("/s"));
  w.Write(1, Create("/s/x-", "", proto::PERSISTENT_SEQUENTIAL));
  w.Write(1, Create("/s/plain"));
  w.Write(1, Delete("/s/plain"));
  w.Persist();
  CloseDb(db);

  Db reopened = OpenDb(dir.Sub("db"));
  StateMachine loaded;
  ASSERT_TRUE(loaded.LoadFrom(*reopened.state).ok());
  // The stored create counter (not the reported cversion) survives the restart.
  proto::Stat s;
  loaded.tree().Find("/s")->FillStat(&s);
  EXPECT_EQ(s.cversion(), 3);
  EXPECT_EQ(loaded.tree().Find("/s")->stat.cversion, 2);
  server::Preparer preparer{server::PreparerLimits()};
  std::string detail;
  proto::Txn txn =
      preparer.Prepare(loaded.tree(), 1, Create("/s/x-", "", proto::PERSISTENT_SEQUENTIAL),
                       server::ZxidOfStat(h.last_zxid() + 1), 0, &detail);
  ASSERT_EQ(txn.body_case(), proto::Txn::kCreate) << detail;
  EXPECT_EQ(txn.create().path(), "/s/x-0000000002");
}

TEST(RocksPersistence, StaleStatePlusLogTail_ReplaysToSameState) {
  testing::TempDir dir;
  TreeHarness h;
  Db db = OpenDb(dir.Sub("db"));
  Workload w(&h, &db, 1000000);  // never persists on its own
  w.Write(1, Create("/a", "1"));
  w.Write(1, Create("/a/s-", "", proto::PERSISTENT_SEQUENTIAL));
  w.Persist();  // state as of zxid 2
  const uint64_t persisted = h.sm().last_applied().raw();
  w.Write(1, SetData("/a", "2"));
  w.Write(1, Create("/a/s-", "", proto::PERSISTENT_SEQUENTIAL));
  w.Write(1, Delete("/a/s-0000000000"));
  w.Write(1, Create("/a"));  // error txn
  (void)h.sm().TakeBatch();  // dropped: as if the process died before persisting
  CloseDb(db);

  Db reopened = OpenDb(dir.Sub("db"));
  ASSERT_EQ(reopened.state->LastApplied().raw(), persisted);
  StateMachine recovered;
  ASSERT_TRUE(recovered.LoadFrom(*reopened.state).ok());
  auto tail = reopened.log->ReadAfter(recovered.last_applied(), 1000);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 4u);
  for (const LogEntry& e : *tail) {
    proto::Txn txn;
    ASSERT_TRUE(txn.ParseFromString(e.txn));
    server::ChangeSet changes;
    recovered.Apply(e.zxid, txn, &changes);
  }
  EXPECT_EQ(recovered.tree().digest(), h.tree().digest());
  EXPECT_EQ(Flatten(recovered.FullState()), Flatten(h.sm().FullState()));
}

TEST(RocksPersistence, ReplaceAllFullState_ReopensToSameState) {
  testing::TempDir dir;
  TreeHarness h;
  {
    Db scratch = OpenDb(dir.Sub("scratch"));
    Workload(&h, &scratch, 50).Run(200, 99);
    CloseDb(scratch);
  }
  Db db = OpenDb(dir.Sub("snap"));
  // Junk that the SNAP must wipe.
  StateBatch junk;
  junk.nodes = {{"/junk", proto::ZnodeRecord()}};
  junk.sessions = {{12345, proto::SessionRecord()}};
  ASSERT_TRUE(db.state->Write(junk).ok());
  ASSERT_TRUE(db.state->ReplaceAll(h.sm().FullState()).ok());
  CloseDb(db);
  Db reopened = OpenDb(dir.Sub("snap"));
  StateMachine loaded;
  ASSERT_TRUE(loaded.LoadFrom(*reopened.state).ok());
  EXPECT_EQ(Flatten(loaded.FullState()), Flatten(h.sm().FullState()));
  EXPECT_EQ(loaded.tree().digest(), h.tree().digest());
  EXPECT_EQ(loaded.tree().Find("/junk"), nullptr);
}

// State batches skip the WAL: DurableApplied follows RocksDB's flushes, and
// a ReplaceAll is durable on return.
TEST(RocksPersistence, DurableApplied_FollowsFlushesAndReplaceAll) {
  testing::TempDir dir;
  Db db = OpenDb(dir.Sub("durable"));
  auto batch_at = [](uint64_t applied) {
    StateBatch b;
    b.nodes = {{"/n" + std::to_string(applied), proto::ZnodeRecord()}};
    b.last_applied = Zxid::FromRaw(applied);
    return b;
  };
  ASSERT_TRUE(db.state->Write(batch_at(5)).ok());
  EXPECT_EQ(db.state->LastApplied().raw(), 5u);
  EXPECT_EQ(db.state->DurableApplied().raw(), 0u) << "nothing flushed yet";
  ASSERT_TRUE(db.rocks->FlushState().ok());
  EXPECT_EQ(db.state->DurableApplied().raw(), 5u);
  ASSERT_TRUE(db.state->Write(batch_at(9)).ok());
  EXPECT_EQ(db.state->DurableApplied().raw(), 5u);
  ASSERT_TRUE(db.state->ReplaceAll(batch_at(12)).ok());
  EXPECT_EQ(db.state->DurableApplied().raw(), 12u);
  ASSERT_TRUE(db.state->Write(batch_at(14)).ok());
  CloseDb(db);  // a clean close flushes what skipped the WAL
  Db reopened = OpenDb(dir.Sub("durable"));
  EXPECT_EQ(reopened.state->LastApplied().raw(), 14u);
  EXPECT_EQ(reopened.state->DurableApplied().raw(), 14u);
}

TEST(RocksPersistence, TakeBatch_HoldsOnlyTouchedPathsAndDeletions) {
  TreeHarness h;
  h.MustWrite(Create("/a"));
  (void)h.sm().TakeBatch();
  h.MustWrite(Create("/a/b"));
  h.MustWrite(Delete("/a/b"));
  h.MustWrite(SetData("/a", "x"));
  StateBatch batch = h.sm().TakeBatch();
  EXPECT_EQ(batch.last_applied.raw(), static_cast<uint64_t>(h.last_zxid()));
  ASSERT_EQ(batch.nodes.size(), 2u);
  EXPECT_EQ(batch.nodes[0].first, "/a");
  ASSERT_TRUE(batch.nodes[0].second.has_value());
  EXPECT_EQ(batch.nodes[0].second->data(), "x");
  EXPECT_EQ(batch.nodes[1].first, "/a/b");
  EXPECT_FALSE(batch.nodes[1].second.has_value());
  // A second take is empty.
  EXPECT_TRUE(h.sm().TakeBatch().empty());
}

}  // namespace
}  // namespace zabkeeper::storage
