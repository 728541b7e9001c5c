// zkbench's output: a human-readable summary and one JSON line.
#ifndef ZABKEEPER_TESTS_BENCH_ZKBENCH_REPORT_H_
#define ZABKEEPER_TESTS_BENCH_ZKBENCH_REPORT_H_

#include <string>

#include "tests/bench/zkbench/options.h"
#include "tests/bench/zkbench/workload.h"

namespace zkbench {

std::string HumanReport(const Options& o, const std::string& driver, const RunResult& r);
std::string JsonLine(const Options& o, const std::string& driver, const RunResult& r);

}  // namespace zkbench

#endif  // ZABKEEPER_TESTS_BENCH_ZKBENCH_REPORT_H_
