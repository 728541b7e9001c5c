// MemoryDisk: the memory stores on a simulated disk lose exactly what a power
// cut would lose (a suffix of the unsynced writes, in one order across the
// three stores), a failed fsync stops the disk, and without a disk the stores
// behave as they always did.
#include "storage/memory_disk.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/memory_storage.h"

namespace zabkeeper::storage {
namespace {

using ::zab::Zxid;

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<LogEntry> Entries(uint64_t from, uint64_t to) {
  std::vector<LogEntry> out;
  for (uint64_t z = from; z <= to; ++z)
    out.push_back({::zab::Zxid::FromRaw(z), "txn-" + std::to_string(z)});
  return out;
}

std::vector<uint64_t> LogZxids(const TxnLog& log) {
  auto r = log.ReadAfter(Zxid(), 1 << 20);
  EXPECT_TRUE(r.ok()) << r.status();
  std::vector<uint64_t> out;
  if (r.ok()) {
    for (const LogEntry& e : *r) out.push_back(e.zxid.raw());
  }
  return out;
}

// A batch that sets /<name> to `data` and marks `applied` as applied.
StateBatch SetNode(const std::string& name, const std::string& data, uint64_t applied) {
  StateBatch b;
  proto::ZnodeRecord r;
  r.set_data(data);
  b.nodes.emplace_back("/" + name, r);
  b.last_applied = Zxid::FromRaw(applied);
  return b;
}

// Path -> data of every node, plus the session ids.
struct Loaded {
  std::map<std::string, std::string> nodes;
  std::vector<int64_t> sessions;
};
Loaded Load(const StateStore& state) {
  Loaded out;
  absl::Status s = state.Load(
      [&](const std::string& path, const proto::ZnodeRecord& r) {
        out.nodes[path] = r.data();
        return absl::OkStatus();
      },
      [&](const proto::SessionRecord& r) {
        out.sessions.push_back(r.session_id());
        return absl::OkStatus();
      });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

// One server's stores on one disk. The disk is declared first: it outlives
// the stores.
struct Server {
  MemoryDisk disk;
  MemoryTxnLog log{&disk};
  MemoryStateStore state{&disk};
  MemoryEpochStore epochs{&disk};
};

// ---- Crash and Sync

TEST(MemoryDisk, Crash_UnsyncedLogSuffixIsLost_SyncedPrefixKept) {
  Server s;
  ASSERT_TRUE(s.log.Append(Entries(1, 2)).ok());
  ASSERT_TRUE(s.log.AppendUnsynced(Entries(3, 4)).ok());
  EXPECT_THAT(LogZxids(s.log), ElementsAre(1, 2, 3, 4));  // visible before the crash
  EXPECT_EQ(s.disk.pending(), 1u);                        // one Append, one write

  s.disk.Crash(/*keep=*/0, /*tear=*/false);

  EXPECT_THAT(LogZxids(s.log), ElementsAre(1, 2));
  EXPECT_EQ(s.log.FirstZxid().raw(), 1u);
  EXPECT_EQ(s.log.LastZxid().raw(), 2u);
  EXPECT_EQ(s.disk.pending(), 0u);
}

TEST(MemoryDisk, Sync_MakesUnsyncedWritesSurviveCrash) {
  Server s;
  ASSERT_TRUE(s.log.AppendUnsynced(Entries(1, 3)).ok());
  ASSERT_TRUE(s.state.Write(SetNode("a", "x", 3)).ok());
  ASSERT_TRUE(s.log.PurgeBefore(Zxid::FromRaw(2)).ok());
  EXPECT_EQ(s.disk.pending(), 3u);
  ASSERT_TRUE(s.disk.Sync().ok());
  EXPECT_EQ(s.disk.pending(), 0u);
  EXPECT_EQ(s.disk.syncs(), 1u);

  s.disk.Crash(/*keep=*/100, /*tear=*/true);  // nothing pending: nothing to lose

  EXPECT_THAT(LogZxids(s.log), ElementsAre(2, 3));
  EXPECT_EQ(s.state.LastApplied().raw(), 3u);
  EXPECT_EQ(Load(s.state).nodes.at("/a"), "x");
}

// Five writes in one global order across log and state:
//   1: log += 1   2: state /a applied=1   3: log += 2   4: state /b applied=2
//   5: log purge < 2
// keep = k must leave exactly the effect of writes 1..k.
void QueueFiveWrites(Server& s) {
  ASSERT_TRUE(s.log.AppendUnsynced(Entries(1, 1)).ok());
  ASSERT_TRUE(s.state.Write(SetNode("a", "1", 1)).ok());
  ASSERT_TRUE(s.log.AppendUnsynced(Entries(2, 2)).ok());
  ASSERT_TRUE(s.state.Write(SetNode("b", "2", 2)).ok());
  ASSERT_TRUE(s.log.PurgeBefore(Zxid::FromRaw(2)).ok());
  ASSERT_EQ(s.disk.pending(), 5u);
}

struct Expected {
  std::vector<uint64_t> log;
  uint64_t first_zxid;
  uint64_t last_zxid;
  uint64_t last_applied;
  std::vector<std::string> nodes;
};

Expected AfterKeeping(size_t k) {
  switch (k) {
    case 0:
      return {{}, 0, 0, 0, {}};
    case 1:
      return {{1}, 1, 1, 0, {}};
    case 2:
      return {{1}, 1, 1, 1, {"/a"}};
    case 3:
      return {{1, 2}, 1, 2, 1, {"/a"}};
    case 4:
      return {{1, 2}, 1, 2, 2, {"/a", "/b"}};
    default:
      return {{2}, 2, 2, 2, {"/a", "/b"}};
  }
}

void ExpectState(Server& s, const Expected& want) {
  EXPECT_EQ(LogZxids(s.log), want.log);
  EXPECT_EQ(s.log.FirstZxid().raw(), want.first_zxid);
  EXPECT_EQ(s.log.LastZxid().raw(), want.last_zxid);
  EXPECT_EQ(s.state.LastApplied().raw(), want.last_applied);
  std::vector<std::string> paths;
  for (const auto& [path, data] : Load(s.state).nodes) paths.push_back(path);
  EXPECT_EQ(paths, want.nodes);
}

TEST(MemoryDisk, CrashKeepK_KeepsExactlyTheFirstKWritesAcrossStores) {
  for (size_t k = 0; k <= 6; ++k) {  // 6 > pending: clamped to all five
    SCOPED_TRACE(k);
    Server s;
    QueueFiveWrites(s);
    s.disk.Crash(k, /*tear=*/false);
    ExpectState(s, AfterKeeping(k));
  }
}

TEST(MemoryDisk, StateWriteQueuedAfterAppend_SurvivesOnlyIfTheAppendDoes) {
  Server s;
  QueueFiveWrites(s);
  s.disk.Crash(/*keep=*/1, /*tear=*/false);
  // The append of zxid 1 made it, the state write behind it did not.
  EXPECT_EQ(s.log.LastZxid().raw(), 1u);
  EXPECT_EQ(s.state.LastApplied().raw(), 0u);
  EXPECT_THAT(Load(s.state).nodes, IsEmpty());
}

TEST(MemoryDisk, CrashWithTear_LosesTheLastKeptWriteToo) {
  for (size_t k = 0; k <= 6; ++k) {
    SCOPED_TRACE(k);
    Server s;
    QueueFiveWrites(s);
    s.disk.Crash(k, /*tear=*/true);
    // Torn: one fewer than kept (never below zero); keep is clamped first.
    size_t kept = std::min<size_t>(k, 5);
    ExpectState(s, AfterKeeping(kept == 0 ? 0 : kept - 1));
  }
}

TEST(MemoryDisk, Crash_RestoresPurgedLogAndOverwrittenState) {
  Server s;
  ASSERT_TRUE(s.log.Append(Entries(1, 5)).ok());
  ASSERT_TRUE(s.state.ReplaceAll(SetNode("a", "old", 5)).ok());
  ASSERT_TRUE(s.log.PurgeBefore(Zxid::FromRaw(4)).ok());
  ASSERT_TRUE(s.state.Write(SetNode("a", "new", 6)).ok());
  EXPECT_EQ(s.log.FirstZxid().raw(), 4u);

  s.disk.Crash(/*keep=*/0, /*tear=*/false);

  EXPECT_EQ(s.log.FirstZxid().raw(), 1u);
  EXPECT_EQ(s.log.LastZxid().raw(), 5u);
  EXPECT_EQ(s.state.LastApplied().raw(), 5u);
  EXPECT_EQ(Load(s.state).nodes.at("/a"), "old");
}

TEST(MemoryDisk, AfterCrash_AppendContinuesFromTheDurableLog) {
  Server s;
  ASSERT_TRUE(s.log.Append(Entries(1, 2)).ok());
  ASSERT_TRUE(s.log.AppendUnsynced(Entries(3, 9)).ok());
  s.disk.Crash(/*keep=*/0, /*tear=*/false);
  // Zxid 3 is free again: the lost entries do not block it.
  ASSERT_TRUE(s.log.Append(Entries(3, 3)).ok());
  s.disk.Crash(/*keep=*/0, /*tear=*/false);
  EXPECT_THAT(LogZxids(s.log), ElementsAre(1, 2, 3));
}

// ---- Mutations that are durable on return

TEST(MemoryDisk, DurableMutations_SurviveCrashWithNothingKept) {
  Server s;
  ASSERT_TRUE(s.log.Append(Entries(1, 5)).ok());
  ASSERT_TRUE(s.log.TruncateAfter(Zxid::FromRaw(3)).ok());
  StateBatch full = SetNode("snap", "s", 3);
  proto::SessionRecord session;
  session.set_session_id(42);
  full.sessions.emplace_back(42, session);
  ASSERT_TRUE(s.state.Write(SetNode("gone", "g", 1)).ok());
  ASSERT_TRUE(s.state.ReplaceAll(full).ok());
  ASSERT_TRUE(s.epochs.SetAcceptedEpoch(7).ok());
  ASSERT_TRUE(s.epochs.SetCurrentEpoch(6).ok());
  EXPECT_EQ(s.disk.pending(), 0u);

  s.disk.Crash(/*keep=*/0, /*tear=*/true);

  EXPECT_THAT(LogZxids(s.log), ElementsAre(1, 2, 3));
  Loaded loaded = Load(s.state);
  EXPECT_EQ(loaded.nodes, (std::map<std::string, std::string>{{"/snap", "s"}}));
  EXPECT_THAT(loaded.sessions, ElementsAre(42));
  EXPECT_EQ(s.state.LastApplied().raw(), 3u);
  EXPECT_EQ(s.epochs.AcceptedEpoch(), 7u);
  EXPECT_EQ(s.epochs.CurrentEpoch(), 6u);
}

TEST(MemoryDisk, DurableMutation_AlsoSyncsEarlierWritesOfOtherStores) {
  Server s;
  ASSERT_TRUE(s.state.Write(SetNode("a", "1", 1)).ok());
  ASSERT_TRUE(s.epochs.SetAcceptedEpoch(1).ok());  // one disk, one sync for all
  s.disk.Crash(/*keep=*/0, /*tear=*/false);
  EXPECT_EQ(s.state.LastApplied().raw(), 1u);
}

TEST(MemoryDisk, Append_CountsOneSyncOnLogAndDisk_AppendUnsyncedNone) {
  Server s;
  ASSERT_TRUE(s.log.Append(Entries(1, 3)).ok());
  ASSERT_TRUE(s.log.AppendUnsynced(Entries(4, 4)).ok());
  EXPECT_EQ(s.log.SyncCount(), 1u);
  EXPECT_EQ(s.disk.syncs(), 1u);
  ASSERT_TRUE(s.disk.Sync().ok());  // the runtime's group commit
  EXPECT_EQ(s.log.SyncCount(), 1u);
  EXPECT_EQ(s.disk.syncs(), 2u);
}

TEST(MemoryDisk, AppendOutOfOrder_FailsAndQueuesNothing) {
  Server s;
  ASSERT_TRUE(s.log.AppendUnsynced(Entries(1, 3)).ok());
  EXPECT_EQ(s.log.AppendUnsynced(Entries(3, 4)).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.disk.pending(), 1u);
  EXPECT_THAT(LogZxids(s.log), ElementsAre(1, 2, 3));
}

// ---- A failed fsync

TEST(MemoryDisk, FailedSync_ReportsDataLossAndLeavesDiskFailed) {
  Server s;
  ASSERT_TRUE(s.log.Append(Entries(1, 1)).ok());
  s.disk.FailNextSync();
  absl::Status st = s.log.Append(Entries(2, 2));
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(st.message()), ::testing::HasSubstr("fsync failed"));
  EXPECT_TRUE(s.disk.failed());
  EXPECT_EQ(s.log.SyncCount(), 1u);
  // Every later sync fails too: retrying must not report success.
  EXPECT_EQ(s.disk.Sync().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.disk.Sync().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.disk.syncs(), 1u);
}

TEST(MemoryDisk, FailedDisk_EveryMutationFailsAndChangesNothing) {
  Server s;
  ASSERT_TRUE(s.log.Append(Entries(1, 3)).ok());
  ASSERT_TRUE(s.state.Write(SetNode("a", "1", 3)).ok());
  ASSERT_TRUE(s.epochs.SetAcceptedEpoch(1).ok());
  ASSERT_TRUE(s.epochs.SetCurrentEpoch(1).ok());
  s.disk.FailNextSync();
  ASSERT_FALSE(s.disk.Sync().ok());
  const size_t pending = s.disk.pending();

  EXPECT_EQ(s.log.Append(Entries(4, 4)).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.log.AppendUnsynced(Entries(4, 4)).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.log.TruncateAfter(Zxid::FromRaw(1)).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.log.PurgeBefore(Zxid::FromRaw(3)).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.state.Write(SetNode("b", "2", 4)).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.state.ReplaceAll(StateBatch{}).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.epochs.SetAcceptedEpoch(2).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.epochs.SetCurrentEpoch(2).code(), absl::StatusCode::kDataLoss);

  EXPECT_THAT(LogZxids(s.log), ElementsAre(1, 2, 3));
  EXPECT_EQ(s.state.LastApplied().raw(), 3u);
  EXPECT_EQ(Load(s.state).nodes, (std::map<std::string, std::string>{{"/a", "1"}}));
  EXPECT_EQ(s.epochs.AcceptedEpoch(), 1u);
  EXPECT_EQ(s.epochs.CurrentEpoch(), 1u);
  EXPECT_EQ(s.disk.pending(), pending);
}

TEST(MemoryDisk, WriteWhoseSyncFailed_StaysVisibleAndSurvivesOnlyIfKept) {
  for (size_t keep : {0, 1}) {
    SCOPED_TRACE(keep);
    Server s;
    s.disk.FailNextSync();
    ASSERT_FALSE(s.log.Append(Entries(1, 1)).ok());
    EXPECT_EQ(s.log.LastZxid().raw(), 1u);  // in the page cache
    EXPECT_EQ(s.disk.pending(), 1u);
    s.disk.Crash(keep, /*tear=*/false);
    EXPECT_EQ(s.log.LastZxid().raw(), keep == 0 ? 0u : 1u);
  }
}

TEST(MemoryDisk, AfterCrash_FailedDiskWorksAgain) {
  Server s;
  s.disk.FailNextSync();
  ASSERT_FALSE(s.epochs.SetAcceptedEpoch(1).ok());
  s.disk.Crash(/*keep=*/0, /*tear=*/false);

  EXPECT_FALSE(s.disk.failed());
  EXPECT_EQ(s.epochs.AcceptedEpoch(), 0u);
  ASSERT_TRUE(s.epochs.SetAcceptedEpoch(2).ok());
  ASSERT_TRUE(s.log.Append(Entries(1, 1)).ok());
  ASSERT_TRUE(s.disk.Sync().ok());
  s.disk.Crash(/*keep=*/0, /*tear=*/false);
  EXPECT_EQ(s.epochs.AcceptedEpoch(), 2u);
  EXPECT_EQ(s.log.LastZxid().raw(), 1u);
}

TEST(MemoryDisk, Crash_ClearsAnUnfiredFailNextSync) {
  Server s;
  s.disk.FailNextSync();
  s.disk.Crash(/*keep=*/0, /*tear=*/false);
  EXPECT_TRUE(s.disk.Sync().ok());
}

// ---- Attaching and detaching

TEST(MemoryDisk, DestroyedStore_DropsItsPendingWritesOnly) {
  MemoryDisk disk;
  MemoryTxnLog log(&disk);
  {
    MemoryStateStore state(&disk);
    ASSERT_TRUE(log.AppendUnsynced(Entries(1, 1)).ok());
    ASSERT_TRUE(state.Write(SetNode("a", "1", 1)).ok());
    EXPECT_EQ(disk.pending(), 2u);
  }
  EXPECT_EQ(disk.pending(), 1u);
  disk.Crash(/*keep=*/1, /*tear=*/false);
  EXPECT_EQ(log.LastZxid().raw(), 1u);
}

TEST(MemoryDisk, TwoDisks_AreIndependent) {
  Server a;
  Server b;
  ASSERT_TRUE(a.log.AppendUnsynced(Entries(1, 1)).ok());
  ASSERT_TRUE(b.log.AppendUnsynced(Entries(1, 1)).ok());
  a.disk.FailNextSync();
  a.disk.Crash(/*keep=*/0, /*tear=*/false);
  EXPECT_EQ(a.log.LastZxid().raw(), 0u);
  EXPECT_EQ(b.log.LastZxid().raw(), 1u);
  EXPECT_EQ(b.disk.pending(), 1u);
  EXPECT_TRUE(b.disk.Sync().ok());
}

// One mutex for the disk and its stores: writers and a syncing thread neither
// deadlock nor lose order. 200 rounds each keeps it well under a second.
TEST(MemoryDisk, ConcurrentWritersAndSyncs_KeepEveryWriteAndOrder) {
  constexpr uint64_t kRounds = 200;
  Server s;
  std::thread appender([&] {
    for (uint64_t z = 1; z <= kRounds; ++z) EXPECT_TRUE(s.log.AppendUnsynced(Entries(z, z)).ok());
  });
  std::thread writer([&] {
    for (uint64_t z = 1; z <= kRounds; ++z) {
      EXPECT_TRUE(s.state.Write(SetNode(std::to_string(z), "x", z)).ok());
    }
  });
  std::thread syncer([&] {
    for (uint64_t i = 0; i < kRounds; ++i) EXPECT_TRUE(s.disk.Sync().ok());
  });
  for (uint32_t e = 1; e <= kRounds; ++e) EXPECT_TRUE(s.epochs.SetAcceptedEpoch(e).ok());
  appender.join();
  writer.join();
  syncer.join();
  ASSERT_TRUE(s.disk.Sync().ok());
  s.disk.Crash(/*keep=*/0, /*tear=*/false);
  EXPECT_EQ(s.log.LastZxid().raw(), kRounds);
  EXPECT_EQ(LogZxids(s.log).size(), kRounds);
  EXPECT_EQ(s.state.LastApplied().raw(), kRounds);
  EXPECT_EQ(Load(s.state).nodes.size(), kRounds);
  EXPECT_EQ(s.epochs.AcceptedEpoch(), kRounds);
}

// ---- Without a disk: the stores as they always were

TEST(MemoryStoresWithoutDisk, Mutations_AreFinalAndCounted) {
  MemoryTxnLog log;
  MemoryStateStore state;
  MemoryEpochStore epochs;
  ASSERT_TRUE(log.Append(Entries(1, 3)).ok());
  ASSERT_TRUE(log.AppendUnsynced(Entries(4, 5)).ok());
  ASSERT_TRUE(log.Append({}).ok());  // counted, as before disks existed
  EXPECT_EQ(log.SyncCount(), 2u);
  ASSERT_TRUE(log.PurgeBefore(Zxid::FromRaw(2)).ok());
  ASSERT_TRUE(log.TruncateAfter(Zxid::FromRaw(4)).ok());
  EXPECT_THAT(LogZxids(log), ElementsAre(2, 3, 4));
  ASSERT_TRUE(state.Write(SetNode("a", "1", 1)).ok());
  ASSERT_TRUE(state.ReplaceAll(SetNode("b", "2", 2)).ok());
  EXPECT_EQ(Load(state).nodes, (std::map<std::string, std::string>{{"/b", "2"}}));
  EXPECT_EQ(state.LastApplied().raw(), 2u);
  ASSERT_TRUE(epochs.SetAcceptedEpoch(3).ok());
  ASSERT_TRUE(epochs.SetCurrentEpoch(2).ok());
  EXPECT_EQ(epochs.AcceptedEpoch(), 3u);
  EXPECT_EQ(epochs.CurrentEpoch(), 2u);
}

TEST(MemoryStoresWithoutDisk, StoreOffDisk_IsUntouchedByAnotherStoresDisk) {
  MemoryDisk disk;
  MemoryTxnLog on_disk(&disk);
  MemoryTxnLog off_disk;
  ASSERT_TRUE(on_disk.AppendUnsynced(Entries(1, 1)).ok());
  ASSERT_TRUE(off_disk.AppendUnsynced(Entries(1, 1)).ok());
  EXPECT_EQ(disk.pending(), 1u);
  disk.Crash(/*keep=*/0, /*tear=*/false);
  EXPECT_EQ(on_disk.LastZxid().raw(), 0u);
  EXPECT_EQ(off_disk.LastZxid().raw(), 1u);
}

}  // namespace
}  // namespace zabkeeper::storage
