#include "tests/chaos/worker.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/errors.h"
#include "client/zk_client.h"
#include "tests/chaos/history_io.h"

namespace zabkeeper::chaos {

Time Now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string KeyName(int index) { return absl::StrCat("k", index); }
std::string KeyPath(const std::string& key) { return "/chaos/" + key; }

namespace {

constexpr int64_t kValueStride = 1'000'000'000;

// Starts an async call and waits for its result up to `timeout_ms`; nullopt
// when it did not complete in time (the callback may still run later: the
// promise is shared).
template <typename T, typename Start>
std::optional<absl::StatusOr<T>> CallWithin(int timeout_ms, Start&& start) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<T>>>();
  std::future<absl::StatusOr<T>> future = promise->get_future();
  start([promise](absl::StatusOr<T> v) { promise->set_value(std::move(v)); });
  if (future.wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready) {
    return std::nullopt;
  }
  return future.get();
}

// absl::Status callbacks adapted to CallWithin (a bool payload).
template <typename Start>
std::optional<absl::StatusOr<bool>> StatusCallWithin(int timeout_ms, Start&& start) {
  return CallWithin<bool>(timeout_ms, [&](zk::Callback<bool> cb) {
    start([cb](absl::Status s) {
      if (s.ok()) {
        cb(true);
      } else {
        cb(s);
      }
    });
  });
}

bool ParseValue(const std::string& data, int64_t& value) {
  try {
    size_t used = 0;
    value = std::stoll(data, &used);
    return used == data.size();
  } catch (...) {
    return false;
  }
}

// One session at a time; replaced when it is lost. Bounded by `deadline`.
class SessionHolder {
 public:
  explicit SessionHolder(const WorkerConfig& config) : config_(config) {}

  // A connected client, or null if none could be had before the deadline.
  zk::ZkClient* Get() {
    if (client_ != nullptr) {
      zk::SessionState s = client_->state();
      if (s != zk::SessionState::kLost && s != zk::SessionState::kClosed) return client_.get();
      retired_.push_back(std::move(client_));  // destroyed at exit: callbacks may be pending
    }
    while (Now() < config_.deadline) {
      zk::ClientOptions options;
      options.connect_string = config_.connect;
      options.session_timeout = absl::Milliseconds(config_.session_timeout_ms);
      auto client = zk::ZkClient::Create(options);
      if (client.ok() && (*client)->WaitConnected(absl::Seconds(3)).ok()) {
        client_ = std::move(*client);
        return client_.get();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return nullptr;
  }

  void CloseAll() {
    if (client_ != nullptr) (void)client_->Close(absl::Seconds(1));
  }

 private:
  const WorkerConfig& config_;
  std::unique_ptr<zk::ZkClient> client_;
  std::vector<std::unique_ptr<zk::ZkClient>> retired_;
};

void FillStat(const zk::Stat& stat, Operation& op) {
  op.version = stat.version();
  op.zxid = Zxid::FromRaw(static_cast<uint64_t>(stat.mzxid()));
}

class Traffic {
 public:
  explicit Traffic(const WorkerConfig& config)
      : config_(config), rng_(config.seed), sessions_(config), last_version_(config.keys, 0) {}

  int Run(std::ofstream& out) {
    const Time start = Now();
    const Time interval = config_.ops > 0 ? config_.run_duration / config_.ops : 0;
    for (int i = 0; i < config_.ops && Now() < config_.deadline; ++i) {
      const Time slot = start + interval * i;
      if (Now() < slot) std::this_thread::sleep_for(std::chrono::nanoseconds(slot - Now()));
      zk::ZkClient* client = sessions_.Get();
      if (client == nullptr) break;
      const int key = static_cast<int>(rng_() % static_cast<uint64_t>(config_.keys));
      const int dice = static_cast<int>(rng_() % 100);
      if (dice < 35) {
        Read(*client, key);
      } else if (dice < 60) {
        Write(*client, key, /*cas=*/false);
      } else if (dice < 85) {
        Write(*client, key, /*cas=*/true);
      } else {
        if (Sync(*client, key)) Read(*client, key);
      }
    }
    sessions_.CloseAll();
    for (const Operation& op : history_) out << EncodeOp(op) << "\n";
    out.flush();
    return out ? 0 : 1;
  }

 private:
  Operation Begin(zk::ZkClient& client, OpKind kind, int key) {
    Operation op;
    op.process = config_.process;
    op.session = client.session_id();
    op.kind = kind;
    op.key = KeyName(key);
    op.invoke = Now();
    return op;
  }

  void Read(zk::ZkClient& client, int key) {
    Operation op = Begin(client, OpKind::kRead, key);
    auto r = CallWithin<zk::DataResult>(config_.op_timeout_ms, [&](auto cb) {
      client.GetDataAsync(KeyPath(op.key), nullptr, std::move(cb));
    });
    if (r && r->ok() && ParseValue((*r)->data, op.value)) {
      op.complete = Now();
      op.result = OpResult::kOk;
      FillStat((*r)->stat, op);
      last_version_[key] = op.version;
    } else if (r) {
      // A read that failed had no effect and observed nothing.
      op.complete = Now();
      op.result = OpResult::kFail;
    }
    history_.push_back(std::move(op));
  }

  void Write(zk::ZkClient& client, int key, bool cas) {
    Operation op = Begin(client, cas ? OpKind::kCas : OpKind::kWrite, key);
    op.value = (config_.process + 1) * kValueStride + (++seq_);
    // Mostly the version last seen (a CAS that can win), sometimes a stale
    // or future one so BadVersion answers occur.
    if (cas) {
      const int32_t seen = last_version_[key];
      op.expected_version = rng_() % 5 == 0 ? seen + static_cast<int32_t>(rng_() % 3) - 1 : seen;
      if (op.expected_version < 0) op.expected_version = 0;
    }
    auto r = CallWithin<zk::Stat>(config_.op_timeout_ms, [&](auto cb) {
      client.SetDataAsync(KeyPath(op.key), absl::StrCat(op.value), cas ? op.expected_version : -1,
                          std::move(cb));
    });
    if (r && r->ok()) {
      op.complete = Now();
      op.result = OpResult::kOk;
      FillStat(**r, op);
      last_version_[key] = op.version;
    } else if (r && cas && zk::IsBadVersion(r->status())) {
      op.complete = Now();
      op.result = OpResult::kFail;
    }
    // Anything else (timeout, connection loss, expiry): indeterminate.
    history_.push_back(std::move(op));
  }

  bool Sync(zk::ZkClient& client, int key) {
    Operation op = Begin(client, OpKind::kSync, key);
    auto r = StatusCallWithin(config_.op_timeout_ms, [&](zk::StatusCallback cb) {
      client.SyncAsync(KeyPath(op.key), std::move(cb));
    });
    const bool ok = r && r->ok();
    if (ok) {
      op.complete = Now();
      op.result = OpResult::kOk;
    }
    history_.push_back(std::move(op));
    return ok;
  }

  const WorkerConfig& config_;
  std::mt19937_64 rng_;
  SessionHolder sessions_;
  std::vector<int32_t> last_version_;
  History history_;
  int64_t seq_ = 0;
};

int RunInit(const WorkerConfig& config) {
  SessionHolder sessions(config);
  while (Now() < config.deadline) {
    zk::ZkClient* client = sessions.Get();
    if (client == nullptr) break;
    bool all = client->EnsurePath("/chaos").ok();
    for (int k = 0; all && k < config.keys; ++k) {
      auto r = client->Create(KeyPath(KeyName(k)), "0");
      all = r.ok() || zk::IsNodeExists(r.status());
    }
    if (all) {
      sessions.CloseAll();
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::fprintf(stderr, "zkchaos worker init: could not create the registers before the deadline\n");
  return 1;
}

int RunFinal(const WorkerConfig& config) {
  SessionHolder sessions(config);
  std::ofstream out(config.out);
  for (int k = 0; k < config.keys; ++k) {
    bool done = false;
    while (!done && Now() < config.deadline) {
      zk::ZkClient* client = sessions.Get();
      if (client == nullptr) break;
      auto r = client->GetData(KeyPath(KeyName(k)));
      int64_t value = 0;
      if (r.ok() && ParseValue(r->data, value)) {
        out << "final\t" << KeyName(k) << "\t" << value << "\t" << r->stat.mzxid() << "\n";
        done = true;
      } else if (zk::IsNoNode(r.status())) {
        done = true;  // absent: the durability check reports it
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    if (!done) return 1;
  }
  sessions.CloseAll();
  out.flush();
  return out ? 0 : 1;
}

}  // namespace

int RunWorker(const WorkerConfig& config) {
  if (config.mode == "init") return RunInit(config);
  if (config.mode == "final") return RunFinal(config);
  if (config.mode == "traffic") {
    std::ofstream out(config.out);
    if (!out) return 2;
    Traffic traffic(config);
    return traffic.Run(out);
  }
  std::fprintf(stderr, "zkchaos: unknown worker mode %s\n", config.mode.c_str());
  return 2;
}

}  // namespace zabkeeper::chaos
