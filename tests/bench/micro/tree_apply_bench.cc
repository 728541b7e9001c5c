// Micro-benchmarks of the tree on the write path: Preparer::Prepare (validate
// and build the txn) and StateMachine::Apply (mutate the tree, record what
// changed), for setData and create/delete on a tree of state.range(0) nodes.
#include <benchmark/benchmark.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "server/preparer.h"
#include "server/state_machine.h"

namespace zabkeeper::server {
namespace {

const std::string kValue(100, 'v');

proto::Txn CreateTxn(const std::string& path, int32_t parent_cversion) {
  proto::Txn txn;
  txn.set_session_id(1);
  txn.set_time_ms(1700000000000);
  auto* c = txn.mutable_create();
  c->set_path(path);
  c->set_data(kValue);
  auto* acl = c->add_acl();
  acl->set_perms(31);
  acl->mutable_id()->set_scheme("world");
  acl->mutable_id()->set_id("anyone");
  c->set_parent_cversion(parent_cversion);
  return txn;
}

// A state machine holding /bench/0 .. /bench/{n-1} with 100-byte values.
uint64_t Fill(StateMachine* sm, int64_t n) {
  uint64_t zxid = 1;
  ChangeSet changes;
  sm->Apply(Zxid::FromRaw(zxid++), CreateTxn("/bench", 1), &changes);
  for (int64_t i = 0; i < n; ++i) {
    ChangeSet c;
    sm->Apply(Zxid::FromRaw(zxid++),
              CreateTxn(absl::StrCat("/bench/", i), static_cast<int32_t>(i + 1)), &c);
  }
  sm->TakeBatch();
  return zxid;
}

void BM_ApplySetData(benchmark::State& state) {
  StateMachine sm;
  const int64_t n = state.range(0);
  uint64_t zxid = Fill(&sm, n);
  std::vector<proto::Txn> txns(1024);
  for (size_t i = 0; i < txns.size(); ++i) {
    txns[i].set_session_id(1);
    txns[i].set_time_ms(1700000000000);
    auto* s = txns[i].mutable_set_data();
    s->set_path(absl::StrCat("/bench/", (i * 7919) % n));
    s->set_data(kValue);
  }
  size_t i = 0;
  int32_t version = 1;
  for (auto _ : state) {
    proto::Txn& txn = txns[i++ % txns.size()];
    txn.mutable_set_data()->set_version(version++);
    ChangeSet changes;
    ApplyResult r = sm.Apply(Zxid::FromRaw(zxid++), txn, &changes);
    benchmark::DoNotOptimize(r);
    if (i % 4096 == 0) sm.TakeBatch();  // as the log stage drains dirty paths
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ApplySetData)->Arg(1000)->Arg(100000);

void BM_ApplyCreateDelete(benchmark::State& state) {
  StateMachine sm;
  uint64_t zxid = Fill(&sm, state.range(0));
  int32_t cversion = static_cast<int32_t>(state.range(0)) + 1;
  proto::Txn del;
  del.set_session_id(1);
  del.mutable_delete_()->set_path("/bench/new");
  for (auto _ : state) {
    ChangeSet c1, c2;
    benchmark::DoNotOptimize(
        sm.Apply(Zxid::FromRaw(zxid++), CreateTxn("/bench/new", ++cversion), &c1));
    benchmark::DoNotOptimize(sm.Apply(Zxid::FromRaw(zxid++), del, &c2));
  }
  sm.TakeBatch();
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_ApplyCreateDelete)->Arg(1000)->Arg(100000);

// Prepare + Apply + Applied: what the leader does per setData besides I/O.
void BM_PrepareApplySetData(benchmark::State& state) {
  StateMachine sm;
  const int64_t n = state.range(0);
  uint64_t zxid = Fill(&sm, n);
  Preparer preparer(PreparerLimits{});
  proto::Request request;
  request.set_xid(1);
  auto* set = request.mutable_set_data();
  set->set_data(kValue);
  set->set_version(-1);
  std::vector<std::string> paths;
  for (int i = 0; i < 1024; ++i) paths.push_back(absl::StrCat("/bench/", (i * 7919) % n));
  size_t i = 0;
  std::string detail;
  for (auto _ : state) {
    set->set_path(paths[i++ % paths.size()]);
    proto::Txn txn =
        preparer.Prepare(sm.tree(), 1, request, Zxid::FromRaw(zxid), 1700000000000, &detail);
    ChangeSet changes;
    benchmark::DoNotOptimize(sm.Apply(Zxid::FromRaw(zxid), txn, &changes));
    preparer.Applied(Zxid::FromRaw(zxid));
    ++zxid;
    if (i % 4096 == 0) sm.TakeBatch();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PrepareApplySetData)->Arg(1000)->Arg(100000);

// TakeBatch after a group of applies: building the records to persist.
void BM_TakeBatch(benchmark::State& state) {
  StateMachine sm;
  uint64_t zxid = Fill(&sm, 1000);
  proto::Txn txn;
  txn.set_session_id(1);
  auto* s = txn.mutable_set_data();
  s->set_data(kValue);
  int32_t version = 1;
  for (auto _ : state) {
    state.PauseTiming();
    for (int64_t j = 0; j < state.range(0); ++j) {
      s->set_path(absl::StrCat("/bench/", j));
      s->set_version(version++);
      ChangeSet c;
      sm.Apply(Zxid::FromRaw(zxid++), txn, &c);
    }
    state.ResumeTiming();
    benchmark::DoNotOptimize(sm.TakeBatch());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TakeBatch)->Arg(1)->Arg(64);

}  // namespace
}  // namespace zabkeeper::server

BENCHMARK_MAIN();
