#include "tests/chaos/worker.h"

#include <algorithm>
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
#include "tests/chaos/client_call.h"
#include "tests/chaos/ephemeral_ops.h"
#include "tests/chaos/history_io.h"
#include "tests/chaos/list_ops.h"
#include "tests/chaos/watch_log.h"

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

bool ParseValue(const std::string& data, int64_t& value) {
  try {
    size_t used = 0;
    value = std::stoll(data, &used);
    return used == data.size();
  } catch (...) {
    return false;
  }
}

void FillStat(const zk::Stat& stat, Operation& op) {
  op.version = stat.version();
  op.zxid = Zxid::FromRaw(static_cast<uint64_t>(stat.mzxid()));
}

class Traffic {
 public:
  explicit Traffic(const WorkerConfig& config)
      : config_(config),
        rng_(config.seed),
        sessions_(config.connect, config.session_timeout_ms, config.deadline,
                  [this](SessionId s) { watch_log_.Reconnect(s); }),
        last_version_(config.keys, 0) {}

  int Run(std::ofstream& out) {
    const Time start = Now();
    const Time interval = config_.ops > 0 ? config_.run_duration / config_.ops : 0;
    for (int i = 0; i < config_.ops && Now() < config_.deadline; ++i) {
      const Time slot = start + interval * i;
      if (Now() < slot) std::this_thread::sleep_for(std::chrono::nanoseconds(slot - Now()));
      zk::ZkClient* client = sessions_.Get();
      if (client == nullptr) break;
      const int key = static_cast<int>(rng_() % static_cast<uint64_t>(config_.keys));
      int dice = static_cast<int>(rng_() % 100);
      if (config_.lists > 0 && dice < 15) {
        ListOp(*client, dice < 10);
        continue;
      }
      if (config_.eph_slots > 0 && dice >= 15 && dice < 20) {
        const int slot = static_cast<int>(rng_() % static_cast<uint64_t>(config_.eph_slots));
        std::optional<std::string> line = ObserveEphemeral(*client, slot, config_.op_timeout_ms);
        if (line) extra_lines_.push_back(std::move(*line));
        continue;
      }
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
    for (const std::string& line : extra_lines_) out << line << "\n";
    for (const std::string& line : watch_log_.Lines()) out << line << "\n";
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
    const SessionId session = op.session;
    const std::string name = op.key;
    WatchLog* log = &watch_log_;
    // A third of the reads set a data watch (one pending per session and key).
    const bool watch = rng_() % 3 == 0 && watch_log_.TryArm(session, name);
    zk::Watcher watcher = nullptr;
    if (watch) {
      watcher = [log, session, name](const zk::WatchedEvent& e) {
        if (e.type != zk::proto::NONE) log->Event(session, name, Zxid::FromRaw(e.zxid));
      };
    }
    auto r =
        CallWithin<zk::DataResult>(config_.op_timeout_ms, [&](zk::Callback<zk::DataResult> cb) {
          client.GetDataAsync(KeyPath(op.key), std::move(watcher),
                              [cb, log, session, name, watch](absl::StatusOr<zk::DataResult> r) {
                                if (r.ok()) {
                                  const Zxid mzxid = Zxid::FromRaw(r->stat.mzxid());
                                  if (watch) {
                                    log->WatchSet(session, name, mzxid);
                                  } else {
                                    log->Reply(session, mzxid);
                                  }
                                } else if (watch) {
                                  log->Disarm(session, name);
                                }
                                cb(std::move(r));
                              });
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
    const SessionId session = op.session;
    WatchLog* log = &watch_log_;
    auto r = CallWithin<zk::Stat>(config_.op_timeout_ms, [&](zk::Callback<zk::Stat> cb) {
      client.SetDataAsync(KeyPath(op.key), absl::StrCat(op.value), cas ? op.expected_version : -1,
                          [cb, log, session](absl::StatusOr<zk::Stat> r) {
                            if (r.ok()) log->Reply(session, Zxid::FromRaw(r->mzxid()));
                            cb(std::move(r));
                          });
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

  // Appends to 1-2 distinct lists, or reads 1-3 distinct lists.
  void ListOp(zk::ZkClient& client, bool append) {
    std::vector<int> lists;
    for (int l = 0; l < config_.lists; ++l) lists.push_back(l);
    std::shuffle(lists.begin(), lists.end(), rng_);
    const size_t want = 1 + rng_() % (append ? 2 : 3);
    lists.resize(std::min(lists.size(), want));
    if (append) {
      std::vector<int64_t> elements;
      for (size_t i = 0; i < lists.size(); ++i) {
        elements.push_back((config_.process + 1) * kValueStride + (++seq_));
      }
      history_.push_back(
          AppendLists(client, config_.process, lists, elements, config_.op_timeout_ms));
    } else if (auto op = ReadLists(client, config_.process, lists, config_.op_timeout_ms)) {
      history_.push_back(std::move(*op));
    }
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
  // Before sessions_: their callbacks write to it until they are destroyed.
  WatchLog watch_log_;
  SessionHolder sessions_;
  std::vector<int32_t> last_version_;
  History history_;
  std::vector<std::string> extra_lines_;  // ephemeral observations
  int64_t seq_ = 0;
};

int RunInit(const WorkerConfig& config) {
  SessionHolder sessions(config.connect, config.session_timeout_ms, config.deadline);
  while (Now() < config.deadline) {
    zk::ZkClient* client = sessions.Get();
    if (client == nullptr) break;
    bool all = client->EnsurePath("/chaos").ok() && client->EnsurePath("/eph").ok();
    for (int k = 0; all && k < config.keys; ++k) {
      auto r = client->Create(KeyPath(KeyName(k)), "0");
      all = r.ok() || zk::IsNodeExists(r.status());
    }
    for (int l = 0; all && l < config.lists; ++l) {
      all = client->EnsurePath(ListPath(ListName(l))).ok();
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
  SessionHolder sessions(config.connect, config.session_timeout_ms, config.deadline);
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
  std::vector<int> lists;
  for (int l = 0; l < config.lists; ++l) lists.push_back(l);
  bool lists_read = lists.empty();
  while (!lists_read && Now() < config.deadline) {
    zk::ZkClient* client = sessions.Get();
    if (client == nullptr) break;
    if (auto op = ReadLists(*client, config.process, lists, config.op_timeout_ms)) {
      out << EncodeOp(*op) << "\n";
      lists_read = true;
    }
  }
  if (!lists_read) return 1;
  sessions.CloseAll();
  out.flush();
  return out ? 0 : 1;
}

}  // namespace

int RunWorker(const WorkerConfig& config) {
  if (config.mode == "init") return RunInit(config);
  if (config.mode == "final") return RunFinal(config);
  if (config.mode == "ephemeral") return RunEphemeralOwner(config);
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
