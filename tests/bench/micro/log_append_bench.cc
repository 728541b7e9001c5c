// Micro-benchmark of the durable log: RocksTxnLog::Append of a batch of
// state.range(0) 130-byte txns, fsync'd once per batch (group commit), in a
// temporary directory (ZKBENCH_TMPDIR or /tmp). Measures the disk as much as
// the code: run it on the disk the servers use.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "storage/rocksdb_storage.h"

namespace zabkeeper::storage {
namespace {

void BM_LogAppendBatch(benchmark::State& state) {
  const char* base = std::getenv("ZKBENCH_TMPDIR");
  std::filesystem::path dir = std::filesystem::path(base ? base : "/tmp") /
                              ("zk_log_append_bench." + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  {
    auto db = RocksDb::Open(dir.string());
    if (!db.ok()) {
      state.SkipWithError(std::string(db.status().message()).c_str());
      return;
    }
    auto log = RocksTxnLog::Open(db->get());
    if (!log.ok()) {
      state.SkipWithError(std::string(log.status().message()).c_str());
      return;
    }
    const size_t batch = static_cast<size_t>(state.range(0));
    std::vector<LogEntry> entries(batch);
    uint64_t zxid = 1;
    for (auto _ : state) {
      for (auto& e : entries) {
        e.zxid = ::zab::Zxid::FromRaw(zxid++);
        e.txn.assign(130, 't');
      }
      auto st = (*log)->Append(entries);
      if (!st.ok()) {
        state.SkipWithError(std::string(st.message()).c_str());
        break;
      }
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch));
    state.counters["syncs"] = static_cast<double>((*log)->SyncCount());
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_LogAppendBatch)->Arg(1)->Arg(16)->Arg(128)->UseRealTime();

}  // namespace
}  // namespace zabkeeper::storage

BENCHMARK_MAIN();
