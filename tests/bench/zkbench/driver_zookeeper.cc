// The Apache ZooKeeper driver: the multi-threaded C client (libzookeeper_mt),
// one zhandle per session. Its completion thread runs our callbacks.
#include <zookeeper/zookeeper.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/bench/zkbench/driver.h"

namespace zkbench {
namespace {

struct ConnectState {
  std::mutex mu;
  std::condition_variable cv;
  int state = 0;
};

void GlobalWatcher(zhandle_t*, int type, int state, const char*, void* ctx) {
  if (type != ZOO_SESSION_EVENT) return;
  auto* cs = static_cast<ConnectState*>(ctx);
  std::lock_guard<std::mutex> lock(cs->mu);
  cs->state = state;
  cs->cv.notify_all();
}

// Each request carries a heap-allocated Done as its completion data.
Done* Take(const void* data) { return static_cast<Done*>(const_cast<void*>(data)); }
void Finish(int rc, const void* data) {
  Done* done = Take(data);
  (*done)(rc);
  delete done;
}
void VoidDone(int rc, const void* data) { Finish(rc, data); }
void StringDone(int rc, const char*, const void* data) { Finish(rc, data); }
void StatDone(int rc, const Stat*, const void* data) { Finish(rc, data); }
void DataDone(int rc, const char*, int, const Stat*, const void* data) { Finish(rc, data); }
void StringsDone(int rc, const String_vector*, const void* data) { Finish(rc, data); }

void NodeWatcher(zhandle_t*, int type, int, const char*, void* ctx) {
  if (type == ZOO_SESSION_EVENT) return;  // the watch stays registered
  auto* fired = static_cast<WatchFired*>(ctx);
  (*fired)();
  delete fired;
}

class ZookeeperSession : public Session {
 public:
  ZookeeperSession(zhandle_t* zh, std::unique_ptr<ConnectState> cs)
      : zh_(zh), connect_state_(std::move(cs)) {}
  ~ZookeeperSession() override { Close(); }

  void Create(const std::string& path, const std::string& data, bool ephemeral,
              Done done) override {
    auto* d = new Done(std::move(done));
    Check(zoo_acreate(zh_, path.c_str(), data.data(), static_cast<int>(data.size()),
                      &ZOO_OPEN_ACL_UNSAFE, ephemeral ? ZOO_EPHEMERAL : ZOO_PERSISTENT, StringDone,
                      d),
          d);
  }
  void Delete(const std::string& path, Done done) override {
    auto* d = new Done(std::move(done));
    Check(zoo_adelete(zh_, path.c_str(), -1, VoidDone, d), d);
  }
  void SetData(const std::string& path, const std::string& data, Done done) override {
    auto* d = new Done(std::move(done));
    Check(zoo_aset(zh_, path.c_str(), data.data(), static_cast<int>(data.size()), -1, StatDone, d),
          d);
  }
  void GetData(const std::string& path, WatchFired watch, Done done) override {
    auto* d = new Done(std::move(done));
    if (watch) {
      auto* w = new WatchFired(std::move(watch));
      int rc = zoo_awget(zh_, path.c_str(), NodeWatcher, w, DataDone, d);
      if (rc != ZOK) delete w;
      Check(rc, d);
    } else {
      Check(zoo_aget(zh_, path.c_str(), 0, DataDone, d), d);
    }
  }
  void Exists(const std::string& path, Done done) override {
    auto* d = new Done(std::move(done));
    Check(zoo_aexists(zh_, path.c_str(), 0, StatDone, d), d);
  }
  void GetChildren(const std::string& path, Done done) override {
    auto* d = new Done(std::move(done));
    Check(zoo_aget_children(zh_, path.c_str(), 0, StringsDone, d), d);
  }
  void Close() override {
    if (zh_ == nullptr) return;
    zookeeper_close(zh_);
    zh_ = nullptr;
  }

 private:
  // A request the client refused at once never completes: fail it here
  // (after a pause, so a dead session does not spin).
  static void Check(int rc, Done* d) {
    if (rc == ZOK) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    Finish(rc, d);
  }

  zhandle_t* zh_;
  std::unique_ptr<ConnectState> connect_state_;  // the global watcher's context
};

class ZookeeperDriver : public Driver {
 public:
  ZookeeperDriver() { zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR); }
  std::string name() const override { return "zookeeper"; }
  absl::StatusOr<std::unique_ptr<Session>> Connect(const std::string& hosts) override {
    auto cs = std::make_unique<ConnectState>();
    zhandle_t* zh = zookeeper_init(hosts.c_str(), GlobalWatcher, 30000, nullptr, cs.get(), 0);
    if (zh == nullptr) return absl::UnavailableError(absl::StrCat("zookeeper_init ", hosts));
    {
      std::unique_lock<std::mutex> lock(cs->mu);
      if (!cs->cv.wait_for(lock, std::chrono::seconds(15),
                           [&] { return cs->state == ZOO_CONNECTED_STATE; })) {
        lock.unlock();
        zookeeper_close(zh);
        return absl::UnavailableError(absl::StrCat("cannot connect to ", hosts));
      }
    }
    return std::unique_ptr<Session>(new ZookeeperSession(zh, std::move(cs)));
  }
};

}  // namespace

std::unique_ptr<Driver> NewZookeeperDriver() { return std::make_unique<ZookeeperDriver>(); }

}  // namespace zkbench
