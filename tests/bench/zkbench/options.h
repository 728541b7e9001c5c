// zkbench's command line.
#ifndef ZABKEEPER_TESTS_BENCH_ZKBENCH_OPTIONS_H_
#define ZABKEEPER_TESTS_BENCH_ZKBENCH_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace zkbench {

struct Options {
  std::string connect = "127.0.0.1:2281,127.0.0.1:2282,127.0.0.1:2283";
  std::string driver = "zabkeeper";  // zabkeeper | zookeeper | etcd
  std::string workload = "set";      // create|set|get|exists|children|mixed|churn|watch
  int sessions = 8;
  int outstanding = 32;
  int value_size = 100;
  double duration_s = 10;
  double warmup_s = 2;
  uint64_t ops = 0;         // > 0: stop after this many measured ops instead
  double read_ratio = 0.9;  // mixed: fraction of getData
  int keys = 1000;          // set/get/exists/mixed: znodes read and written
  int children = 10;        // children: size of the listed directory
  std::string root = "/zkbench";
  bool cleanup = true;  // delete what the run created
  std::string label;    // free text copied into the JSON line
  bool json_only = false;
  bool etcd_linearizable = false;  // etcd: linearizable instead of serializable reads
};

// Parses argv; an error message on bad input, or "help" for --help.
absl::StatusOr<Options> ParseOptions(int argc, char** argv);
std::string Usage();

}  // namespace zkbench

#endif  // ZABKEEPER_TESTS_BENCH_ZKBENCH_OPTIONS_H_
