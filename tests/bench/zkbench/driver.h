// Driver: one client library behind a minimal asynchronous interface, so the
// same workload runs against zabkeeper (our gRPC client), Apache ZooKeeper
// (its C client) and etcd (its v3 gRPC API, driver_etcd.cc). Error codes are
// ZooKeeper's (0 = OK, -101 = NoNode, -110 = NodeExists, ...); zabkeeper and
// ZooKeeper use the same numbers, the etcd driver maps its answers to them.
//
// Completions and watch callbacks of one session run one at a time on that
// session's callback thread, and may issue further requests.
#ifndef ZABKEEPER_TESTS_BENCH_ZKBENCH_DRIVER_H_
#define ZABKEEPER_TESTS_BENCH_ZKBENCH_DRIVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace zkbench {

constexpr int kOk = 0;
constexpr int kNoNode = -101;
constexpr int kNodeExists = -110;

using Done = std::function<void(int err)>;
using WatchFired = std::function<void()>;

class Session {
 public:
  virtual ~Session() = default;
  virtual void Create(const std::string& path, const std::string& data, bool ephemeral,
                      Done done) = 0;
  virtual void Delete(const std::string& path, Done done) = 0;
  virtual void SetData(const std::string& path, const std::string& data, Done done) = 0;
  // `watch` (may be empty) is set on the node and called once when it changes.
  virtual void GetData(const std::string& path, WatchFired watch, Done done) = 0;
  virtual void Exists(const std::string& path, Done done) = 0;
  virtual void GetChildren(const std::string& path, Done done) = 0;
  // Ends the session; no callback runs after it returns.
  virtual void Close() = 0;
};

class Driver {
 public:
  virtual ~Driver() = default;
  virtual std::string name() const = 0;
  // Connects one new session to `hosts` ("host:port,host:port").
  virtual absl::StatusOr<std::unique_ptr<Session>> Connect(const std::string& hosts) = 0;
};

std::unique_ptr<Driver> NewZabkeeperDriver();
// nullptr when zkbench was built without the ZooKeeper C client.
std::unique_ptr<Driver> NewZookeeperDriver();
// etcd 3.4's v3 API. `linearizable_reads`: Range as etcd's default (a
// ReadIndex round through the leader) instead of serializable (member-local,
// what ZooKeeper's reads are).
std::unique_ptr<Driver> NewEtcdDriver(bool linearizable_reads);

}  // namespace zkbench

#endif  // ZABKEEPER_TESTS_BENCH_ZKBENCH_DRIVER_H_
