// The zabkeeper driver: zk::ZkClient's asynchronous API, one client per session.
#include <utility>

#include "client/errors.h"
#include "client/zk_client.h"
#include "tests/bench/zkbench/driver.h"

namespace zkbench {
namespace {

int Code(const absl::Status& status) {
  return status.ok() ? kOk : static_cast<int>(zk::ErrorCodeOf(status));
}

class ZabkeeperSession : public Session {
 public:
  explicit ZabkeeperSession(std::unique_ptr<zk::ZkClient> client) : client_(std::move(client)) {}
  ~ZabkeeperSession() override { Close(); }

  void Create(const std::string& path, const std::string& data, bool ephemeral,
              Done done) override {
    client_->CreateAsync(
        path, data,
        zk::CreateOptions::Mode(ephemeral ? zk::proto::EPHEMERAL : zk::proto::PERSISTENT),
        [done = std::move(done)](absl::StatusOr<zk::CreateResult> r) { done(Code(r.status())); });
  }
  void Delete(const std::string& path, Done done) override {
    client_->DeleteAsync(path, -1, [done = std::move(done)](absl::Status s) { done(Code(s)); });
  }
  void SetData(const std::string& path, const std::string& data, Done done) override {
    client_->SetDataAsync(path, data, -1, [done = std::move(done)](absl::StatusOr<zk::Stat> r) {
      done(Code(r.status()));
    });
  }
  void GetData(const std::string& path, WatchFired watch, Done done) override {
    zk::Watcher watcher;
    if (watch) {
      watcher = [watch = std::move(watch)](const zk::WatchedEvent& event) {
        if (event.type != zk::proto::NONE) watch();
      };
    }
    client_->GetDataAsync(
        path, std::move(watcher),
        [done = std::move(done)](absl::StatusOr<zk::DataResult> r) { done(Code(r.status())); });
  }
  void Exists(const std::string& path, Done done) override {
    client_->ExistsAsync(path, nullptr,
                         [done = std::move(done)](absl::StatusOr<std::optional<zk::Stat>> r) {
                           if (r.ok() && !r->has_value()) return done(kNoNode);
                           done(Code(r.status()));
                         });
  }
  void GetChildren(const std::string& path, Done done) override {
    client_->GetChildrenAsync(
        path, nullptr,
        [done = std::move(done)](absl::StatusOr<zk::ChildrenResult> r) { done(Code(r.status())); });
  }
  void Close() override {
    if (client_ == nullptr) return;
    (void)client_->Close();
    client_.reset();
  }

 private:
  std::unique_ptr<zk::ZkClient> client_;
};

class ZabkeeperDriver : public Driver {
 public:
  std::string name() const override { return "zabkeeper"; }
  absl::StatusOr<std::unique_ptr<Session>> Connect(const std::string& hosts) override {
    auto client = zk::ZkClient::Connect(hosts, absl::Seconds(30));
    if (!client.ok()) return client.status();
    return std::unique_ptr<Session>(new ZabkeeperSession(std::move(*client)));
  }
};

}  // namespace

std::unique_ptr<Driver> NewZabkeeperDriver() { return std::make_unique<ZabkeeperDriver>(); }

}  // namespace zkbench
