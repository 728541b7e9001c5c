// Pipeline: runs n requests on one session with at most k outstanding and
// blocks until all completed (setup and cleanup; nothing is measured).
#ifndef ZABKEEPER_TESTS_BENCH_ZKBENCH_PIPELINE_H_
#define ZABKEEPER_TESTS_BENCH_ZKBENCH_PIPELINE_H_

#include <cstddef>
#include <functional>

#include "tests/bench/zkbench/driver.h"

namespace zkbench {

// op(i, done) issues request i. Returns how many completed with an error
// that `tolerated` (e.g. NodeExists during setup) does not accept.
size_t Pipeline(size_t n, int k, const std::function<void(size_t, Done)>& op,
                const std::function<bool(int)>& tolerated);

}  // namespace zkbench

#endif  // ZABKEEPER_TESTS_BENCH_ZKBENCH_PIPELINE_H_
