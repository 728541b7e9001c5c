// Micro-benchmarks of the txn wire format: proto::Txn serialisation and
// parsing for a 100-byte setData and create (what the leader logs and sends
// to every follower, and what followers and recovery parse).
#include <benchmark/benchmark.h>

#include <string>

#include "zabkeeper/txn.pb.h"

namespace zabkeeper::server {
namespace {

proto::Txn SetDataTxn() {
  proto::Txn txn;
  txn.set_session_id(0x1234567890abLL);
  txn.set_cxid(4242);
  txn.set_time_ms(1700000000000);
  auto* s = txn.mutable_set_data();
  s->set_path("/zkbench/r12345/k/517");
  s->set_data(std::string(100, 'v'));
  s->set_version(17);
  return txn;
}

proto::Txn CreateTxn() {
  proto::Txn txn;
  txn.set_session_id(0x1234567890abLL);
  txn.set_cxid(4242);
  txn.set_time_ms(1700000000000);
  auto* c = txn.mutable_create();
  c->set_path("/zkbench/r12345/c/s3-123456");
  c->set_data(std::string(100, 'v'));
  auto* acl = c->add_acl();
  acl->set_perms(31);
  acl->mutable_id()->set_scheme("world");
  acl->mutable_id()->set_id("anyone");
  c->set_parent_cversion(123457);
  return txn;
}

void Encode(benchmark::State& state, const proto::Txn& txn) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    txn.SerializeToString(&out);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
  state.SetItemsProcessed(state.iterations());
}

void Decode(benchmark::State& state, const proto::Txn& txn) {
  std::string bytes = txn.SerializeAsString();
  proto::Txn parsed;
  for (auto _ : state) {
    benchmark::DoNotOptimize(parsed.ParseFromString(bytes));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
  state.SetItemsProcessed(state.iterations());
}

void BM_EncodeSetData(benchmark::State& state) { Encode(state, SetDataTxn()); }
void BM_DecodeSetData(benchmark::State& state) { Decode(state, SetDataTxn()); }
void BM_EncodeCreate(benchmark::State& state) { Encode(state, CreateTxn()); }
void BM_DecodeCreate(benchmark::State& state) { Decode(state, CreateTxn()); }
BENCHMARK(BM_EncodeSetData);
BENCHMARK(BM_DecodeSetData);
BENCHMARK(BM_EncodeCreate);
BENCHMARK(BM_DecodeCreate);

// A fresh message per decode (what a stage that owns each txn pays).
void BM_DecodeSetDataFresh(benchmark::State& state) {
  std::string bytes = SetDataTxn().SerializeAsString();
  for (auto _ : state) {
    proto::Txn parsed;
    benchmark::DoNotOptimize(parsed.ParseFromString(bytes));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeSetDataFresh);

}  // namespace
}  // namespace zabkeeper::server

BENCHMARK_MAIN();
