// zkchaos workers: the client side of a chaos run, one process per session.
//
// The harness re-executes itself with `--worker MODE` so that each client is
// its own process (and, with network namespaces, sits in the client
// namespace). Every mode is bounded: it ends by itself at `deadline`, and every
// request is abandoned (recorded as indeterminate) after `op_timeout`.
//
//   init      create the register znodes /chaos/k<i> with "0", the list
//             parents /lists/l<j> and /eph
//   traffic   the randomized workload, history to `out` (history_io.h)
//   ephemeral the ephemeral owner (ephemeral_ops.h)
//   final     read every register from the one server in `connect`, without
//             sync (the harness waited for convergence), to `out`:
//             "final\t<key>\t<value>\t<mzxid>" per key; then one list read
//             op of every list (the final state list_append.h needs)
//
// Traffic mix per op: getData (35%), blind setData (25%), setData with the
// version last seen by this worker = CAS (25%), sync then getData of the same
// key (15%); with lists, 10% list appends and 5% list reads (list_ops.h) and,
// with ephemerals, 5% observations, taken from the getData share. Written
// values and list elements are unique per run: (process + 1) * 10^9 + seq.
// A session that expires is replaced by a new one (a new session id in the
// history); requests failing with anything but BadVersion are indeterminate.
#ifndef ZABKEEPER_TESTS_CHAOS_WORKER_H_
#define ZABKEEPER_TESTS_CHAOS_WORKER_H_

#include <cstdint>
#include <string>

#include "tests/chaos/history.h"

namespace zabkeeper::chaos {

struct WorkerConfig {
  std::string mode;     // init | traffic | final
  int process = 0;      // worker index, the history's `process`
  std::string connect;  // "host:port,host:port"
  int keys = 3;
  int lists = 0;      // list-append lists l0..; 0 = no list workload
  int eph_slots = 0;  // ephemerals /eph/e0..; 0 = no ephemeral observations
  int ops = 100;
  uint64_t seed = 1;
  Time deadline = 0;      // harness clock (steady_clock ns)
  Time run_duration = 0;  // traffic: spread `ops` over this long
  int op_timeout_ms = 4000;
  int session_timeout_ms = 4000;
  std::string out;
};

// The harness clock: steady_clock (CLOCK_MONOTONIC) nanoseconds, the same in
// every process of the machine.
Time Now();

std::string KeyName(int index);               // "k3"
std::string KeyPath(const std::string& key);  // "/chaos/k3"

// Runs one worker mode; returns the process exit code (0 = done).
int RunWorker(const WorkerConfig& config);

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_WORKER_H_
