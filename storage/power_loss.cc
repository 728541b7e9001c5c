#include "storage/power_loss.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/file_system.h"

namespace zabkeeper::storage {
namespace {

namespace fs = std::filesystem;

bool IsWal(const std::string& name) { return absl::EndsWith(name, ".log"); }

// Appends "size name" lines. write() with O_APPEND, no fsync: the ledger has
// to survive kill -9 only, which page-cache data does.
class Ledger {
 public:
  explicit Ledger(const std::string& path)
      : fd_(open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {}
  ~Ledger() {
    if (fd_ >= 0) close(fd_);
  }
  void Record(const std::string& name, uint64_t size) {
    const std::string line = absl::StrCat(size, " ", name, "\n");
    std::lock_guard<std::mutex> lock(mu_);
    if (fd_ >= 0 && write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      abort();  // a ledger that misses a sync would drop durable data
    }
  }

 private:
  std::mutex mu_;
  int fd_;
};

class LedgerWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  LedgerWritableFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::string name,
                     std::shared_ptr<Ledger> ledger)
      : FSWritableFileOwnerWrapper(std::move(file)),
        name_(std::move(name)),
        ledger_(std::move(ledger)) {}

  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    return Recorded(target()->Sync(options, dbg), options, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    return Recorded(target()->Fsync(options, dbg), options, dbg);
  }

 private:
  // The writer above flushes its buffer before it syncs, so the file's size
  // now is what the sync made durable.
  rocksdb::IOStatus Recorded(rocksdb::IOStatus s, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) {
    if (s.ok()) ledger_->Record(name_, target()->GetFileSize(options, dbg));
    return s;
  }

  std::string name_;
  std::shared_ptr<Ledger> ledger_;
};

class LedgerFileSystem : public rocksdb::FileSystemWrapper {
 public:
  LedgerFileSystem(std::shared_ptr<rocksdb::FileSystem> base, std::shared_ptr<Ledger> ledger)
      : FileSystemWrapper(std::move(base)), ledger_(std::move(ledger)) {}

  const char* Name() const override { return "ZabkeeperSyncLedger"; }

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    return Wrap(fname, target()->NewWritableFile(fname, options, result, dbg), result);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    return Wrap(fname, target()->ReopenWritableFile(fname, options, result, dbg), result);
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
    return Wrap(fname, target()->ReuseWritableFile(fname, old_fname, options, result, dbg), result);
  }

 private:
  rocksdb::IOStatus Wrap(const std::string& fname, rocksdb::IOStatus s,
                         std::unique_ptr<rocksdb::FSWritableFile>* result) {
    const std::string name = fs::path(fname).filename().string();
    if (s.ok() && IsWal(name)) {
      *result = std::make_unique<LedgerWritableFile>(std::move(*result), name, ledger_);
    }
    return s;
  }

  std::shared_ptr<Ledger> ledger_;
};

}  // namespace

bool PowerLossModeEnabled() {
#ifdef ZK_FAILPOINTS
  const char* v = getenv("ZABKEEPER_DROP_UNSYNCED");
  return v != nullptr && std::string(v) == "1";
#else
  return false;
#endif
}

std::string SyncLedgerPath(const std::string& db_dir) {
  return (fs::path(db_dir).parent_path() / (fs::path(db_dir).filename().string() + ".synced"))
      .string();
}

absl::StatusOr<uint64_t> DropUnsyncedWal(const std::string& db_dir) {
  std::error_code ec;
  if (!fs::exists(db_dir, ec)) {
    // A new (or wiped) database: its WALs will reuse old names, so the old
    // ledger says nothing about them.
    fs::remove(SyncLedgerPath(db_dir), ec);
    return 0;
  }
  std::ifstream in(SyncLedgerPath(db_dir));
  if (!in) {
    // No ledger yet: what is on disk now predates it and counts as synced.
    Ledger ledger(SyncLedgerPath(db_dir));
    for (const fs::directory_entry& entry : fs::directory_iterator(db_dir, ec)) {
      const std::string file = entry.path().filename().string();
      if (IsWal(file) && entry.is_regular_file()) ledger.Record(file, entry.file_size());
    }
    return 0;
  }
  std::map<std::string, uint64_t> synced;
  uint64_t size = 0;
  std::string name;
  while (in >> size >> name) synced[name] = std::max(synced[name], size);
  uint64_t dropped = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(db_dir, ec)) {
    const std::string file = entry.path().filename().string();
    if (!IsWal(file) || !entry.is_regular_file()) continue;
    const uint64_t have = entry.file_size();
    auto it = synced.find(file);
    const uint64_t keep = it == synced.end() ? 0 : it->second;
    if (have <= keep) continue;
    if (truncate(entry.path().c_str(), static_cast<off_t>(keep)) != 0) {
      return absl::InternalError(
          absl::StrCat("power-loss mode: cannot cut ", entry.path().string()));
    }
    dropped += have - keep;
  }
  if (ec) return absl::InternalError(absl::StrCat("power-loss mode: ", db_dir, ": ", ec.message()));
  return dropped;
}

std::unique_ptr<rocksdb::Env> SyncLedgerEnv(const std::string& db_dir) {
  auto ledger = std::make_shared<Ledger>(SyncLedgerPath(db_dir));
  return rocksdb::NewCompositeEnv(
      std::make_shared<LedgerFileSystem>(rocksdb::FileSystem::Default(), std::move(ledger)));
}

}  // namespace zabkeeper::storage
