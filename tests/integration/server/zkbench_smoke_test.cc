// zkbench against one real zabkeeper-server: every workload runs a fixed
// number of operations with no errors and reports them in its JSON line.
// A correctness check of the load generator (the figures in
// docs/BENCHMARKS.md come from it); no timing is asserted.
#include <cstdio>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/server_process.h"

namespace zabkeeper::testing {
namespace {

struct BenchRun {
  int exit_code = -1;
  std::string output;
  nlohmann::json summary;  // the last line that parses as a JSON object
};

BenchRun RunZkbench(const std::string& args) {
  BenchRun run;
  const std::string command = std::string(ZKBENCH_BIN) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[4096];
  std::string line;
  while (fgets(buf, sizeof buf, pipe) != nullptr) {
    run.output += buf;
    line = buf;
    if (!line.empty() && line[0] == '{') {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_object()) run.summary = std::move(j);
    }
  }
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

class ZkbenchSmokeTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    server_ = new ServerProcess(dir_->path());
    server_->Start();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  static std::string Connect() {
    return "--connect 127.0.0.1:" + std::to_string(server_->client_port());
  }

  static TempDir* dir_;
  static ServerProcess* server_;
};

TempDir* ZkbenchSmokeTest::dir_ = nullptr;
ServerProcess* ZkbenchSmokeTest::server_ = nullptr;

TEST_P(ZkbenchSmokeTest, FixedOps_NoErrors_JsonSummaryConsistent) {
  const std::string workload = GetParam();
  const int sessions = workload == "watch" ? 3 : 2;
  const BenchRun run =
      RunZkbench(Connect() + " --workload " + workload + " --sessions " + std::to_string(sessions) +
                 " --outstanding 4 --ops 300 --warmup 0 --keys 20 --json");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_TRUE(run.summary.is_object()) << "no JSON summary line in:\n" << run.output;
  const nlohmann::json& s = run.summary;
  for (const char* key : {"workload", "driver", "ops_s", "p50_us", "p90_us", "p99_us", "p999_us",
                          "max_us", "errors", "ops"}) {
    EXPECT_TRUE(s.contains(key)) << key << " missing in " << s.dump();
  }
  EXPECT_EQ(s.value("workload", ""), workload);
  EXPECT_EQ(s.value("driver", ""), "zabkeeper");
  EXPECT_EQ(s.value("errors", -1), 0) << s.dump();
  EXPECT_GE(s.value("ops", 0), 300) << s.dump();
  EXPECT_GT(s.value("ops_s", 0.0), 0.0);
  // Percentiles come from one histogram, so they are ordered.
  EXPECT_GT(s.value("p50_us", 0), 0);
  EXPECT_LE(s.value("p50_us", 0), s.value("p99_us", 0));
  EXPECT_LE(s.value("p99_us", 0), s.value("p999_us", 0));
  EXPECT_LE(s.value("p999_us", 0), s.value("max_us", 0) + s.value("max_us", 0) / 50 + 1);
}

INSTANTIATE_TEST_SUITE_P(Workloads, ZkbenchSmokeTest,
                         ::testing::Values("create", "set", "get", "exists", "children", "mixed",
                                           "churn", "watch"));

TEST(ZkbenchFlags, UnknownWorkload_FailsWithUsage) {
  const BenchRun run = RunZkbench("--connect 127.0.0.1:1 --workload nonsense --ops 1");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.output.find("nonsense"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace zabkeeper::testing
