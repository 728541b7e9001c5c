// Power-loss mode (storage/power_loss.h): after a kill, what was never synced
// is gone at the next open, as after a power cut; what was synced stays.
#include "storage/power_loss.h"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/rocksdb_storage.h"

namespace zabkeeper::storage {
namespace {

using ::zab::Zxid;

// Runs in a fresh process (threadsafe death-test style re-executes the
// binary): opens the store with the mode on, makes currentEpoch 7 durable,
// then writes a znode through the WAL without a sync (as a log purge
// writes; state batches skip the WAL), and ends like kill -9 (no close).
void WriteThenDie(const std::string& dir) {
  setenv("ZABKEEPER_DROP_UNSYNCED", "1", 1);
  auto rocks = RocksDb::Open(dir);
  if (!rocks.ok()) _exit(2);
  auto epochs = RocksEpochStore::Open(rocks->get());
  if (!epochs.ok() || !(*epochs)->SetCurrentEpoch(7).ok()) _exit(3);
  proto::ZnodeRecord record;
  record.set_data("never synced");
  if (!(*rocks)
           ->db()
           ->Put(rocksdb::WriteOptions(), (*rocks)->nodes(), "/unsynced",
                 record.SerializeAsString())
           .ok()) {
    _exit(4);
  }
  _exit(0);
}

// Writes state batches up to lastApplied 5, flushes them, writes 9 without
// a flush, and ends like kill -9: the state skips the WAL, so 9 is gone.
void WriteStateThenDie(const std::string& dir) {
  auto rocks = RocksDb::Open(dir);
  if (!rocks.ok()) _exit(2);
  auto state = RocksStateStore::Open(rocks->get());
  if (!state.ok()) _exit(3);
  for (uint64_t applied : {5, 9}) {
    StateBatch batch;
    proto::ZnodeRecord record;
    record.set_data("at " + std::to_string(applied));
    batch.nodes.emplace_back("/n" + std::to_string(applied), record);
    batch.last_applied = Zxid::FromRaw(applied);
    if (!(*state)->Write(batch).ok()) _exit(4);
    if (applied == 5 && !(*rocks)->FlushState().ok()) _exit(5);
    if ((*state)->DurableApplied().raw() != 5) _exit(6);
  }
  _exit(0);
}

struct Reopened {
  uint32_t current_epoch = 0;
  bool has_unsynced_node = false;
};

Reopened Reopen(const std::string& dir) {
  Reopened out;
  auto rocks = RocksDb::Open(dir);
  EXPECT_TRUE(rocks.ok()) << rocks.status();
  if (!rocks.ok()) return out;
  auto epochs = RocksEpochStore::Open(rocks->get());
  auto state = RocksStateStore::Open(rocks->get());
  EXPECT_TRUE(epochs.ok() && state.ok());
  out.current_epoch = (*epochs)->CurrentEpoch();
  EXPECT_TRUE((*state)
                  ->Load(
                      [&](const std::string& path, const proto::ZnodeRecord&) {
                        if (path == "/unsynced") out.has_unsynced_node = true;
                        return absl::OkStatus();
                      },
                      [](const proto::SessionRecord&) { return absl::OkStatus(); })
                  .ok());
  return out;
}

// The death-test child re-runs the test body from the top in a new process,
// so the directory is named by the test, not by the process: both see the
// same one.
class PowerLossTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("ZABKEEPER_DROP_UNSYNCED", "1", 1);
    const bool enabled = PowerLossModeEnabled();
    unsetenv("ZABKEEPER_DROP_UNSYNCED");
    if (!enabled) GTEST_SKIP() << "built without failpoints (-DFAILPOINTS=OFF)";
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    dir_ = std::filesystem::path(::testing::TempDir()) /
           (std::string("zk_power_loss_") +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  std::string db() const { return (dir_ / "db").string(); }

  std::filesystem::path dir_;
};

TEST_F(PowerLossTest, KilledWithUnsyncedWrite_ReopenInMode_LosesOnlyTheUnsynced) {
  EXPECT_EXIT(WriteThenDie(db()), ::testing::ExitedWithCode(0), "");
  setenv("ZABKEEPER_DROP_UNSYNCED", "1", 1);
  const Reopened r = Reopen(db());
  unsetenv("ZABKEEPER_DROP_UNSYNCED");
  EXPECT_EQ(r.current_epoch, 7u) << "a synced write was lost";
  EXPECT_FALSE(r.has_unsynced_node) << "the unsynced write survived the emulated power loss";
}

// The control: without the mode, kill -9 alone keeps the unsynced write (the
// kernel still has it), which is why the mode exists.
TEST_F(PowerLossTest, KilledWithUnsyncedWrite_ReopenNormally_KeepsIt) {
  EXPECT_EXIT(WriteThenDie(db()), ::testing::ExitedWithCode(0), "");
  const Reopened r = Reopen(db());
  EXPECT_EQ(r.current_epoch, 7u);
  EXPECT_TRUE(r.has_unsynced_node);
}

// A wiped database starts a new ledger: the old one named WALs that no longer
// exist, and their names come back.
TEST_F(PowerLossTest, WipedDatabase_OldLedgerRemoved) {
  EXPECT_EXIT(WriteThenDie(db()), ::testing::ExitedWithCode(0), "");
  ASSERT_TRUE(std::filesystem::exists(SyncLedgerPath(db())));
  std::filesystem::remove_all(db());
  auto dropped = DropUnsyncedWal(db());
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*dropped, 0u);
  EXPECT_FALSE(std::filesystem::exists(SyncLedgerPath(db())));
}

// Not power-loss mode: kill -9 alone drops a state batch that no flush
// wrote, and keeps the flushed one; DurableApplied named the flushed one
// (the log is purged only below it, so the restart can replay the rest).
TEST_F(PowerLossTest, KilledWithUnflushedState_ReopensAtTheDurablePoint) {
  EXPECT_EXIT(WriteStateThenDie(db()), ::testing::ExitedWithCode(0), "");
  auto rocks = RocksDb::Open(db());
  ASSERT_TRUE(rocks.ok()) << rocks.status();
  auto state = RocksStateStore::Open(rocks->get());
  ASSERT_TRUE(state.ok());
  EXPECT_EQ((*state)->LastApplied().raw(), 5u);
  EXPECT_EQ((*state)->DurableApplied().raw(), 5u);
  std::vector<std::string> paths;
  ASSERT_TRUE((*state)
                  ->Load(
                      [&](const std::string& path, const proto::ZnodeRecord&) {
                        paths.push_back(path);
                        return absl::OkStatus();
                      },
                      [](const proto::SessionRecord&) { return absl::OkStatus(); })
                  .ok());
  EXPECT_EQ(paths, std::vector<std::string>{"/n5"});
}

TEST_F(PowerLossTest, NoLedgerYet_DropsNothing) {
  EXPECT_EXIT(WriteThenDie(db()), ::testing::ExitedWithCode(0), "");
  std::filesystem::remove(SyncLedgerPath(db()));
  auto dropped = DropUnsyncedWal(db());
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 0u);
  EXPECT_TRUE(std::filesystem::exists(SyncLedgerPath(db())));
  EXPECT_TRUE(Reopen(db()).has_unsynced_node);
}

}  // namespace
}  // namespace zabkeeper::storage
