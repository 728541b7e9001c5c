// Built when the ZooKeeper C client is not installed.
#include "tests/bench/zkbench/driver.h"

namespace zkbench {

std::unique_ptr<Driver> NewZookeeperDriver() { return nullptr; }

}  // namespace zkbench
