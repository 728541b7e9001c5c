// zkbench: drives one workload against a zabkeeper, Apache ZooKeeper or etcd
// ensemble and reports throughput and latency percentiles. See options.cc.
#include <cstdio>
#include <memory>

#include "tests/bench/zkbench/driver.h"
#include "tests/bench/zkbench/options.h"
#include "tests/bench/zkbench/report.h"
#include "tests/bench/zkbench/workload.h"

int main(int argc, char** argv) {
  auto options = zkbench::ParseOptions(argc, argv);
  if (!options.ok()) {
    if (absl::IsCancelled(options.status())) {
      std::fputs(zkbench::Usage().c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "zkbench: %s\n\n%s", std::string(options.status().message()).c_str(),
                 zkbench::Usage().c_str());
    return 2;
  }
  std::unique_ptr<zkbench::Driver> driver;
  if (options->driver == "zookeeper") {
    driver = zkbench::NewZookeeperDriver();
  } else if (options->driver == "etcd") {
    driver = zkbench::NewEtcdDriver(options->etcd_linearizable);
  } else {
    driver = zkbench::NewZabkeeperDriver();
  }
  if (driver == nullptr) {
    std::fprintf(stderr, "zkbench: built without the ZooKeeper C client (libzookeeper-mt-dev)\n");
    return 2;
  }
  auto result = zkbench::RunWorkload(*options, *driver);
  if (!result.ok()) {
    std::fprintf(stderr, "zkbench: %s\n", result.status().ToString().c_str());
    return 1;
  }
  if (!options->json_only) {
    std::fputs(zkbench::HumanReport(*options, driver->name(), *result).c_str(), stdout);
  }
  std::printf("%s\n", zkbench::JsonLine(*options, driver->name(), *result).c_str());
  std::fflush(stdout);
  return result->undrained == 0 ? 0 : 1;
}
