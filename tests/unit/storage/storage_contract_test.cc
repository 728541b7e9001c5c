// One contract for TxnLog, StateStore and EpochStore, run against the memory
// and the RocksDB implementations. The RocksDB backend also checks that what
// it promised survives closing and reopening the database.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/memory_storage.h"
#include "storage/rocksdb_storage.h"
#include "tests/unit/storage/temp_dir.h"

namespace zabkeeper::storage {
namespace {

using ::zab::Zxid;

// A backend owns one TxnLog, StateStore and EpochStore. Reopen() simulates a
// restart: for RocksDB it closes and reopens the database from disk; memory
// storage keeps its objects (it has no restart), so the same assertions hold.
class MemoryBackend {
 public:
  TxnLog* log() { return &log_; }
  StateStore* state() { return &state_; }
  EpochStore* epochs() { return &epochs_; }
  void Reopen() {}

 private:
  MemoryTxnLog log_;
  MemoryStateStore state_;
  MemoryEpochStore epochs_;
};

class RocksBackend {
 public:
  RocksBackend() { Open(); }
  ~RocksBackend() { Close(); }
  TxnLog* log() { return log_.get(); }
  StateStore* state() { return state_.get(); }
  EpochStore* epochs() { return epochs_.get(); }
  void Reopen() {
    Close();
    Open();
  }

 private:
  void Open() {
    auto db = RocksDb::Open(dir_.Sub("db"));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    auto log = RocksTxnLog::Open(db_.get());
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
    auto state = RocksStateStore::Open(db_.get());
    ASSERT_TRUE(state.ok()) << state.status();
    state_ = std::move(*state);
    auto epochs = RocksEpochStore::Open(db_.get());
    ASSERT_TRUE(epochs.ok()) << epochs.status();
    epochs_ = std::move(*epochs);
  }
  void Close() {
    log_.reset();
    state_.reset();
    epochs_.reset();
    db_.reset();
  }
  testing::TempDir dir_;
  std::unique_ptr<RocksDb> db_;
  std::unique_ptr<RocksTxnLog> log_;
  std::unique_ptr<RocksStateStore> state_;
  std::unique_ptr<RocksEpochStore> epochs_;
};

template <typename Backend>
class StorageContract : public ::testing::Test {
 protected:
  Backend b_;
};

using Backends = ::testing::Types<MemoryBackend, RocksBackend>;
class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryBackend> ? "Memory" : "RocksDb";
  }
};
TYPED_TEST_SUITE(StorageContract, Backends, BackendNames);

std::vector<LogEntry> Entries(uint64_t from, uint64_t to) {
  std::vector<LogEntry> out;
  for (uint64_t z = from; z <= to; ++z)
    out.push_back({::zab::Zxid::FromRaw(z), "txn-" + std::to_string(z)});
  return out;
}

std::vector<uint64_t> Zxids(const std::vector<LogEntry>& entries) {
  std::vector<uint64_t> out;
  for (const LogEntry& e : entries) out.push_back(e.zxid.raw());
  return out;
}

std::vector<LogEntry> ReadAll(TxnLog* log) {
  auto r = log->ReadAfter(Zxid(), 1 << 20);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : std::vector<LogEntry>{};
}

// ---- TxnLog

TYPED_TEST(StorageContract, TxnLog_Empty_HasZeroBounds) {
  EXPECT_EQ(this->b_.log()->FirstZxid().raw(), 0u);
  EXPECT_EQ(this->b_.log()->LastZxid().raw(), 0u);
  EXPECT_TRUE(ReadAll(this->b_.log()).empty());
}

TYPED_TEST(StorageContract, TxnLog_Append_ReadsBackInOrderWithPayloads) {
  TxnLog* log = this->b_.log();
  ASSERT_TRUE(log->Append(Entries(1, 3)).ok());
  ASSERT_TRUE(log->Append(Entries(4, 4)).ok());
  // Large zxids (epoch in the high 32 bits) sort numerically.
  std::vector<LogEntry> big = {{::zab::Zxid(1, 1), "e1"}, {::zab::Zxid(2, 0), "e2"}};
  ASSERT_TRUE(log->Append(big).ok());
  std::vector<LogEntry> all = ReadAll(log);
  EXPECT_THAT(Zxids(all),
              ::testing::ElementsAre(1, 2, 3, 4, (uint64_t{1} << 32) + 1, uint64_t{2} << 32));
  EXPECT_EQ(all[1].txn, "txn-2");
  EXPECT_EQ(all[5].txn, "e2");
  EXPECT_EQ(log->FirstZxid().raw(), 1u);
  EXPECT_EQ(log->LastZxid().raw(), uint64_t{2} << 32);
}

TYPED_TEST(StorageContract, TxnLog_ReadAfter_IsExclusiveAndBounded) {
  TxnLog* log = this->b_.log();
  ASSERT_TRUE(log->Append(Entries(1, 10)).ok());
  auto r = log->ReadAfter(Zxid::FromRaw(3), 4);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(Zxids(*r), ::testing::ElementsAre(4, 5, 6, 7));
  r = log->ReadAfter(Zxid::FromRaw(10), 5);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  r = log->ReadAfter(Zxid::FromRaw(9), 0);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TYPED_TEST(StorageContract, TxnLog_OutOfOrderAppend_RejectedAndNothingWritten) {
  TxnLog* log = this->b_.log();
  ASSERT_TRUE(log->Append(Entries(1, 5)).ok());
  EXPECT_FALSE(log->Append(Entries(5, 6)).ok());  // 5 is not > LastZxid
  EXPECT_FALSE(log->Append(Entries(3, 3)).ok());
  std::vector<LogEntry> unordered = {{::zab::Zxid::FromRaw(7), "a"},
                                     {::zab::Zxid::FromRaw(6), "b"}};
  EXPECT_FALSE(log->Append(unordered).ok());
  EXPECT_EQ(log->LastZxid().raw(), 5u);
  EXPECT_THAT(Zxids(ReadAll(log)), ::testing::ElementsAre(1, 2, 3, 4, 5));
}

TYPED_TEST(StorageContract, TxnLog_Append_CountsOneSyncPerBatch) {
  TxnLog* log = this->b_.log();
  const uint64_t before = log->SyncCount();
  ASSERT_TRUE(log->Append(Entries(1, 100)).ok());
  EXPECT_EQ(log->SyncCount(), before + 1);
  ASSERT_TRUE(log->Append(Entries(101, 101)).ok());
  EXPECT_EQ(log->SyncCount(), before + 2);
}

TYPED_TEST(StorageContract, TxnLog_TruncateAfter_RemovesTail) {
  TxnLog* log = this->b_.log();
  ASSERT_TRUE(log->Append(Entries(1, 10)).ok());
  ASSERT_TRUE(log->TruncateAfter(Zxid::FromRaw(6)).ok());
  EXPECT_EQ(log->LastZxid().raw(), 6u);
  EXPECT_THAT(Zxids(ReadAll(log)), ::testing::ElementsAre(1, 2, 3, 4, 5, 6));
  // The log continues from the truncation point (ZAB TRUNC then new entries).
  ASSERT_TRUE(log->Append({{::zab::Zxid::FromRaw(7), "new7"}}).ok());
  EXPECT_EQ(ReadAll(log).back().txn, "new7");
  ASSERT_TRUE(log->TruncateAfter(Zxid::FromRaw(100)).ok());  // beyond the end: no-op
  EXPECT_EQ(log->LastZxid().raw(), 7u);
  ASSERT_TRUE(log->TruncateAfter(Zxid()).ok());
  EXPECT_EQ(log->LastZxid().raw(), 0u);
  EXPECT_EQ(log->FirstZxid().raw(), 0u);
  EXPECT_TRUE(ReadAll(log).empty());
}

TYPED_TEST(StorageContract, TxnLog_TruncateAfterMaxZxid_KeepsEverything) {
  TxnLog* log = this->b_.log();
  ASSERT_TRUE(log->Append(Entries(1, 3)).ok());
  ASSERT_TRUE(log->TruncateAfter(Zxid::FromRaw(~uint64_t{0})).ok());
  EXPECT_THAT(Zxids(ReadAll(log)), ::testing::ElementsAre(1, 2, 3));
  EXPECT_EQ(log->LastZxid().raw(), 3u);
}

TYPED_TEST(StorageContract, TxnLog_PurgeBefore_RemovesHead) {
  TxnLog* log = this->b_.log();
  ASSERT_TRUE(log->Append(Entries(1, 10)).ok());
  ASSERT_TRUE(log->PurgeBefore(Zxid::FromRaw(4)).ok());
  EXPECT_EQ(log->FirstZxid().raw(), 4u);
  EXPECT_EQ(log->LastZxid().raw(), 10u);
  EXPECT_EQ(ReadAll(log).size(), 7u);
  ASSERT_TRUE(log->PurgeBefore(Zxid::FromRaw(1)).ok());  // nothing older: no-op
  EXPECT_EQ(log->FirstZxid().raw(), 4u);
  ASSERT_TRUE(log->Append(Entries(11, 11)).ok());
  EXPECT_EQ(log->LastZxid().raw(), 11u);
}

TYPED_TEST(StorageContract, TxnLog_Reopen_KeepsEntriesAndBounds) {
  ASSERT_TRUE(this->b_.log()->Append(Entries(1, 20)).ok());
  ASSERT_TRUE(this->b_.log()->PurgeBefore(Zxid::FromRaw(5)).ok());
  ASSERT_TRUE(this->b_.log()->TruncateAfter(Zxid::FromRaw(15)).ok());
  this->b_.Reopen();
  TxnLog* log = this->b_.log();
  EXPECT_EQ(log->FirstZxid().raw(), 5u);
  EXPECT_EQ(log->LastZxid().raw(), 15u);
  std::vector<LogEntry> all = ReadAll(log);
  ASSERT_EQ(all.size(), 11u);
  EXPECT_EQ(all.front().txn, "txn-5");
  EXPECT_FALSE(log->Append(Entries(15, 15)).ok());
  EXPECT_TRUE(log->Append(Entries(16, 16)).ok());
}

// ---- StateStore

proto::ZnodeRecord Node(const std::string& data, int64_t czxid) {
  proto::ZnodeRecord r;
  r.set_data(data);
  r.mutable_stat()->set_czxid(czxid);
  r.mutable_stat()->set_mzxid(czxid);
  proto::Acl* acl = r.add_acl();
  acl->set_perms(31);
  acl->mutable_id()->set_scheme("world");
  acl->mutable_id()->set_id("anyone");
  return r;
}

proto::SessionRecord Session(int64_t id, int32_t timeout) {
  proto::SessionRecord s;
  s.set_session_id(id);
  s.set_timeout_ms(timeout);
  s.set_password("pw" + std::to_string(id));
  return s;
}

struct Loaded {
  std::vector<std::pair<std::string, std::string>> nodes;  // path, serialized record
  std::vector<int64_t> sessions;
};

Loaded LoadAll(const StateStore& store) {
  Loaded out;
  absl::Status s = store.Load(
      [&](const std::string& path, const proto::ZnodeRecord& r) {
        out.nodes.emplace_back(path, r.SerializeAsString());
        return absl::OkStatus();
      },
      [&](const proto::SessionRecord& r) {
        out.sessions.push_back(r.session_id());
        return absl::OkStatus();
      });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

std::vector<std::string> Paths(const Loaded& l) {
  std::vector<std::string> out;
  for (const auto& [p, r] : l.nodes) out.push_back(p);
  return out;
}

TYPED_TEST(StorageContract, StateStore_Empty_LoadsNothing) {
  Loaded l = LoadAll(*this->b_.state());
  EXPECT_TRUE(l.nodes.empty());
  EXPECT_TRUE(l.sessions.empty());
  EXPECT_EQ(this->b_.state()->LastApplied().raw(), 0u);
}

TYPED_TEST(StorageContract, StateStore_Write_PutsDeletesAndStampsLastApplied) {
  StateStore* st = this->b_.state();
  StateBatch b1;
  b1.nodes = {{"/", Node("", 0)},
              {"/a", Node("1", 1)},
              {"/a/b", Node("2", 2)},
              {"/a-b", Node("3", 3)},
              {"/a0", Node("4", 4)}};
  b1.sessions = {{5, Session(5, 4000)}, {-7, Session(-7, 9000)}};
  b1.last_applied = Zxid::FromRaw(10);
  ASSERT_TRUE(st->Write(b1).ok());
  EXPECT_EQ(st->LastApplied().raw(), 10u);

  StateBatch b2;
  b2.nodes = {{"/a0", std::nullopt}, {"/a", Node("changed", 1)}};
  b2.sessions = {{5, std::nullopt}};
  b2.last_applied = Zxid::FromRaw(11);
  ASSERT_TRUE(st->Write(b2).ok());
  EXPECT_EQ(st->LastApplied().raw(), 11u);

  Loaded l = LoadAll(*st);
  // Path order: every parent before its children.
  EXPECT_THAT(Paths(l), ::testing::ElementsAre("/", "/a", "/a-b", "/a/b"));
  proto::ZnodeRecord a;
  ASSERT_TRUE(a.ParseFromString(l.nodes[1].second));
  EXPECT_EQ(a.data(), "changed");
  EXPECT_THAT(l.sessions, ::testing::ElementsAre(-7));
}

TYPED_TEST(StorageContract, StateStore_EmptyBatch_StillAdvancesLastApplied) {
  StateBatch b;
  b.last_applied = Zxid::FromRaw(42);
  ASSERT_TRUE(this->b_.state()->Write(b).ok());
  EXPECT_EQ(this->b_.state()->LastApplied().raw(), 42u);
}

TYPED_TEST(StorageContract, StateStore_ReplaceAll_DropsEverythingElse) {
  StateStore* st = this->b_.state();
  StateBatch b1;
  b1.nodes = {{"/", Node("", 0)}, {"/old", Node("o", 1)}};
  b1.sessions = {{1, Session(1, 4000)}, {int64_t{-1}, Session(-1, 4000)}};
  b1.last_applied = Zxid::FromRaw(5);
  ASSERT_TRUE(st->Write(b1).ok());
  StateBatch full;
  full.nodes = {{"/", Node("root", 0)}, {"/new", Node("n", 9)}};
  full.sessions = {{2, Session(2, 5000)}};
  full.last_applied = Zxid::FromRaw(9);
  ASSERT_TRUE(st->ReplaceAll(full).ok());
  Loaded l = LoadAll(*st);
  EXPECT_THAT(Paths(l), ::testing::ElementsAre("/", "/new"));
  EXPECT_THAT(l.sessions, ::testing::ElementsAre(2));
  EXPECT_EQ(st->LastApplied().raw(), 9u);
}

TYPED_TEST(StorageContract, StateStore_Load_StopsAtFirstVisitorError) {
  StateStore* st = this->b_.state();
  StateBatch b;
  b.nodes = {{"/", Node("", 0)}, {"/a", Node("", 1)}, {"/b", Node("", 2)}};
  b.sessions = {{1, Session(1, 4000)}};
  ASSERT_TRUE(st->Write(b).ok());
  int visited = 0;
  bool session_visited = false;
  absl::Status s = st->Load(
      [&](const std::string&, const proto::ZnodeRecord&) {
        return ++visited == 2 ? absl::DataLossError("stop") : absl::OkStatus();
      },
      [&](const proto::SessionRecord&) {
        session_visited = true;
        return absl::OkStatus();
      });
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(visited, 2);
  EXPECT_FALSE(session_visited);
}

TYPED_TEST(StorageContract, StateStore_Reopen_KeepsStateAndLastApplied) {
  StateBatch b;
  b.nodes = {{"/", Node("", 0)}, {"/x", Node(std::string("bin\0ary", 7), 3)}};
  b.sessions = {{77, Session(77, 6000)}};
  b.last_applied = Zxid::FromRaw(3);
  ASSERT_TRUE(this->b_.state()->Write(b).ok());
  Loaded before = LoadAll(*this->b_.state());
  this->b_.Reopen();
  EXPECT_EQ(this->b_.state()->LastApplied().raw(), 3u);
  Loaded after = LoadAll(*this->b_.state());
  EXPECT_EQ(after.nodes, before.nodes);
  EXPECT_EQ(after.sessions, before.sessions);
}

// ---- EpochStore

TYPED_TEST(StorageContract, EpochStore_StartsAtZero_AndKeepsWhatWasSet) {
  EpochStore* e = this->b_.epochs();
  EXPECT_EQ(e->AcceptedEpoch(), 0u);
  EXPECT_EQ(e->CurrentEpoch(), 0u);
  ASSERT_TRUE(e->SetAcceptedEpoch(3).ok());
  EXPECT_EQ(e->AcceptedEpoch(), 3u);
  EXPECT_EQ(e->CurrentEpoch(), 0u);
  ASSERT_TRUE(e->SetCurrentEpoch(3).ok());
  ASSERT_TRUE(e->SetAcceptedEpoch(0xFFFFFFFFu).ok());
  EXPECT_EQ(e->AcceptedEpoch(), 0xFFFFFFFFu);
  EXPECT_EQ(e->CurrentEpoch(), 3u);
  this->b_.Reopen();
  EXPECT_EQ(this->b_.epochs()->AcceptedEpoch(), 0xFFFFFFFFu);
  EXPECT_EQ(this->b_.epochs()->CurrentEpoch(), 3u);
}

TEST(RocksEncoding, BigEndian64_RoundTripsAndSortsNumerically) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{255}, uint64_t{256},
                     (uint64_t{1} << 32) + 5, ~uint64_t{0}}) {
    EXPECT_EQ(DecodeBigEndian64(EncodeBigEndian64(v)), v);
    EXPECT_EQ(EncodeBigEndian64(v).size(), 8u);
  }
  EXPECT_LT(EncodeBigEndian64(255), EncodeBigEndian64(256));
  EXPECT_LT(EncodeBigEndian64(uint64_t{1} << 32), EncodeBigEndian64((uint64_t{1} << 32) + 1));
}

TEST(RocksDbOpen, UnwritableDir_IsAnError) {
  auto db = RocksDb::Open("/proc/zabkeeper-cannot-create/db");
  EXPECT_FALSE(db.ok());
}

}  // namespace
}  // namespace zabkeeper::storage
