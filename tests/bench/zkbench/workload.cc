#include "tests/bench/zkbench/workload.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/bench/zkbench/pipeline.h"

namespace zkbench {
namespace {

using Clock = std::chrono::steady_clock;

enum Phase : int { kWarmup = 0, kMeasure = 1, kStop = 2 };

enum class Kind { kCreate, kSet, kGet, kExists, kChildren, kMixed, kChurn, kWatch };

Kind KindOf(const std::string& w) {
  if (w == "create") return Kind::kCreate;
  if (w == "set") return Kind::kSet;
  if (w == "get") return Kind::kGet;
  if (w == "exists") return Kind::kExists;
  if (w == "children") return Kind::kChildren;
  if (w == "mixed") return Kind::kMixed;
  if (w == "churn") return Kind::kChurn;
  return Kind::kWatch;
}

bool IsExists(int err) { return err == kNodeExists; }
bool IsNoNode(int err) { return err == kNoNode; }

uint64_t Micros(Clock::duration d) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

class Bench {
 public:
  Bench(const Options& o, Driver& driver) : o_(o), driver_(driver), kind_(KindOf(o.workload)) {}

  absl::StatusOr<RunResult> Run();

 private:
  struct PerSession {
    int index = 0;
    Session* session = nullptr;
    std::mutex mu;  // guards everything below (initial issues race with callbacks)
    LatencyHistogram latency;
    std::mt19937_64 rng;
    uint64_t created = 0;            // create/churn: next sequence number
    std::vector<std::string> churn;  // churn: per slot, the ephemeral to delete next
  };

  absl::Status Connect();
  absl::Status Prepare();
  void Issue(PerSession* ps, int slot);
  void Complete(PerSession* ps, int slot, Clock::time_point t0, int err);
  void Record(PerSession* ps, Clock::time_point t0, Clock::time_point now, int err);
  void EndMeasure(Clock::time_point now);
  void CountError(int err);
  // watch workload
  void StartRound();
  void Arm(int i);
  void OnArmed(int i, int err);
  void OnFired();
  void Cleanup();

  const Options& o_;
  Driver& driver_;
  const Kind kind_;
  std::string run_root_;
  std::string value_;
  std::vector<std::string> keys_;

  std::atomic<int> phase_{kWarmup};
  std::atomic<int64_t> inflight_{0};
  std::atomic<uint64_t> measured_{0};
  std::atomic<uint64_t> errors_{0};
  std::mutex codes_mu_;
  std::map<int, uint64_t> error_codes_;  // every failure, any phase

  std::mutex end_mu_;
  std::condition_variable end_cv_;
  bool ended_ = false;
  Clock::time_point measure_start_, measure_end_;

  // watch: sessions 0..W-1 watch, session W sets.
  std::atomic<int> armed_{0};
  std::atomic<int> fired_{0};
  std::atomic<int64_t> round_start_ns_{0};

  std::vector<std::unique_ptr<PerSession>> per_;
  std::vector<std::unique_ptr<Session>> sessions_;  // destroyed before per_
};

absl::Status Bench::Connect() {
  int n = o_.sessions + (kind_ == Kind::kWatch ? 1 : 0);
  sessions_.resize(n);
  // Connect in parallel: a session handshake is a round trip plus a commit.
  std::vector<absl::Status> status(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      auto s = driver_.Connect(o_.connect);
      if (s.ok()) {
        sessions_[i] = std::move(*s);
      } else {
        status[i] = s.status();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& s : status) {
    if (!s.ok()) return s;
  }
  std::random_device rd;
  for (int i = 0; i < n; ++i) {
    auto ps = std::make_unique<PerSession>();
    ps->index = i;
    ps->session = sessions_[i].get();
    ps->rng.seed((uint64_t{rd()} << 32) ^ rd() ^ static_cast<uint64_t>(i));
    ps->churn.resize(o_.outstanding);
    per_.push_back(std::move(ps));
  }
  return absl::OkStatus();
}

absl::Status Bench::Prepare() {
  Session* s = sessions_[0].get();
  auto create_all = [&](const std::vector<std::string>& paths) {
    return Pipeline(
        paths.size(), o_.outstanding,
        [&](size_t i, Done done) { s->Create(paths[i], value_, false, std::move(done)); },
        IsExists);
  };
  run_root_ = absl::StrCat(o_.root, "/r", getpid(), "-",
                           Clock::now().time_since_epoch().count() % 1000000007);
  size_t bad = create_all({o_.root}) + create_all({run_root_});
  std::vector<std::string> paths;
  switch (kind_) {
    case Kind::kCreate:
      paths.push_back(run_root_ + "/c");
      break;
    case Kind::kChurn:
      paths.push_back(run_root_ + "/e");
      break;
    case Kind::kChildren:
      paths.push_back(run_root_ + "/d");
      break;
    case Kind::kWatch:
      paths.push_back(run_root_ + "/w");
      break;
    default:
      paths.push_back(run_root_ + "/k");
      break;
  }
  bad += create_all(paths);
  paths.clear();
  if (kind_ == Kind::kChildren) {
    for (int i = 0; i < o_.children; ++i) paths.push_back(absl::StrCat(run_root_, "/d/n", i));
  } else if (kind_ == Kind::kSet || kind_ == Kind::kGet || kind_ == Kind::kExists ||
             kind_ == Kind::kMixed) {
    for (int i = 0; i < o_.keys; ++i) keys_.push_back(absl::StrCat(run_root_, "/k/", i));
    paths = keys_;
  }
  bad += create_all(paths);
  if (bad != 0) return absl::InternalError(absl::StrCat(bad, " setup requests failed"));
  return absl::OkStatus();
}

void Bench::Issue(PerSession* ps, int slot) {
  inflight_.fetch_add(1);
  auto t0 = Clock::now();
  Done done = [this, ps, slot, t0](int err) { Complete(ps, slot, t0, err); };
  Session* s = ps->session;
  auto random_key = [&]() -> const std::string& {
    std::lock_guard<std::mutex> lock(ps->mu);
    return keys_[ps->rng() % keys_.size()];
  };
  switch (kind_) {
    case Kind::kCreate: {
      uint64_t n;
      {
        std::lock_guard<std::mutex> lock(ps->mu);
        n = ps->created++;
      }
      s->Create(absl::StrCat(run_root_, "/c/s", ps->index, "-", n), value_, false, std::move(done));
      break;
    }
    case Kind::kSet:
      s->SetData(random_key(), value_, std::move(done));
      break;
    case Kind::kGet:
      s->GetData(random_key(), nullptr, std::move(done));
      break;
    case Kind::kExists:
      s->Exists(random_key(), std::move(done));
      break;
    case Kind::kChildren:
      s->GetChildren(run_root_ + "/d", std::move(done));
      break;
    case Kind::kMixed: {
      bool read;
      {
        std::lock_guard<std::mutex> lock(ps->mu);
        read = std::uniform_real_distribution<double>(0, 1)(ps->rng) < o_.read_ratio;
      }
      if (read) {
        s->GetData(random_key(), nullptr, std::move(done));
      } else {
        s->SetData(random_key(), value_, std::move(done));
      }
      break;
    }
    case Kind::kChurn: {
      std::string to_delete;
      uint64_t n = 0;
      {
        std::lock_guard<std::mutex> lock(ps->mu);
        to_delete.swap(ps->churn[slot]);
        if (to_delete.empty()) n = ps->created++;
      }
      if (!to_delete.empty()) {
        s->Delete(to_delete, std::move(done));
      } else {
        std::string path = absl::StrCat(run_root_, "/e/s", ps->index, "-", n);
        s->Create(path, value_, true, [this, ps, slot, path, done = std::move(done)](int err) {
          if (err == kOk) {
            std::lock_guard<std::mutex> lock(ps->mu);
            ps->churn[slot] = path;
          }
          done(err);
        });
      }
      break;
    }
    case Kind::kWatch:
      break;  // driven by rounds
  }
}

void Bench::CountError(int err) {
  std::lock_guard<std::mutex> lock(codes_mu_);
  ++error_codes_[err];
}

void Bench::Record(PerSession* ps, Clock::time_point t0, Clock::time_point now, int err) {
  if (err != kOk) CountError(err);
  if (phase_.load(std::memory_order_acquire) != kMeasure) return;
  {
    std::lock_guard<std::mutex> lock(ps->mu);
    ps->latency.Record(Micros(now - t0));
  }
  if (err != kOk) errors_.fetch_add(1);
  uint64_t n = measured_.fetch_add(1) + 1;
  if (o_.ops > 0 && n == o_.ops) EndMeasure(now);
}

void Bench::Complete(PerSession* ps, int slot, Clock::time_point t0, int err) {
  Record(ps, t0, Clock::now(), err);
  if (phase_.load(std::memory_order_acquire) != kStop) Issue(ps, slot);
  inflight_.fetch_sub(1);
}

void Bench::EndMeasure(Clock::time_point now) {
  std::lock_guard<std::mutex> lock(end_mu_);
  if (ended_) return;
  ended_ = true;
  measure_end_ = now;
  phase_.store(kStop, std::memory_order_release);
  end_cv_.notify_all();
}

// ---- watch: one round = arm every watcher, set once, wait for every event.

void Bench::StartRound() {
  inflight_.fetch_add(1);
  armed_.store(0);
  fired_.store(0);
  for (int i = 0; i < o_.sessions; ++i) Arm(i);
}

void Bench::Arm(int i) {
  sessions_[i]->GetData(
      run_root_ + "/w", [this] { OnFired(); }, [this, i](int err) { OnArmed(i, err); });
}

void Bench::OnArmed(int i, int err) {
  if (err != kOk) {
    // A follower may not have applied the znode's creation yet (another
    // session created it): arm again shortly. Counted as an error only when
    // it happens in the measured window.
    CountError(err);
    if (phase_.load(std::memory_order_acquire) == kMeasure) errors_.fetch_add(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (phase_.load(std::memory_order_acquire) != kStop) {
      Arm(i);
    } else {
      inflight_.fetch_sub(1);  // the round is abandoned
    }
    return;
  }
  if (armed_.fetch_add(1) + 1 != o_.sessions) return;
  round_start_ns_.store(Clock::now().time_since_epoch().count());
  Session* setter = sessions_[o_.sessions].get();
  setter->SetData(run_root_ + "/w", value_, [this](int e) {
    if (e != kOk) {
      errors_.fetch_add(1);
      CountError(e);
    }
  });
}

void Bench::OnFired() {
  if (fired_.fetch_add(1) + 1 != o_.sessions) return;
  auto now = Clock::now();
  Clock::time_point t0{Clock::duration(round_start_ns_.load())};
  Record(per_[o_.sessions].get(), t0, now, kOk);
  if (phase_.load(std::memory_order_acquire) != kStop) {
    inflight_.fetch_sub(1);
    StartRound();
    return;
  }
  inflight_.fetch_sub(1);
}

void Bench::Cleanup() {
  // Worker sessions delete what they created, in parallel.
  if (kind_ == Kind::kCreate) {
    std::vector<std::thread> threads;
    for (auto& ps : per_) {
      threads.emplace_back([this, p = ps.get()] {
        Pipeline(
            p->created, o_.outstanding,
            [&](size_t i, Done done) {
              p->session->Delete(absl::StrCat(run_root_, "/c/s", p->index, "-", i),
                                 std::move(done));
            },
            IsNoNode);
      });
    }
    for (auto& t : threads) t.join();
  }
  // Ephemerals go with their sessions; the rest from one fresh session.
  for (size_t i = 1; i < sessions_.size(); ++i) sessions_[i]->Close();
  Session* s = sessions_[0].get();
  std::vector<std::string> paths = keys_;
  if (kind_ == Kind::kChildren) {
    for (int i = 0; i < o_.children; ++i) paths.push_back(absl::StrCat(run_root_, "/d/n", i));
  }
  Pipeline(
      paths.size(), o_.outstanding,
      [&](size_t i, Done done) { s->Delete(paths[i], std::move(done)); }, IsNoNode);
  for (const char* dir : {"/c", "/e", "/d", "/w", "/k", ""}) {
    Pipeline(
        1, 1, [&](size_t, Done done) { s->Delete(run_root_ + dir, std::move(done)); }, IsNoNode);
  }
}

absl::StatusOr<RunResult> Bench::Run() {
  RunResult result;
  auto setup_start = Clock::now();
  std::mt19937_64 rng(42);
  value_.resize(o_.value_size);
  for (char& c : value_) c = static_cast<char>('a' + rng() % 26);
  if (auto st = Connect(); !st.ok()) return st;
  if (auto st = Prepare(); !st.ok()) return st;
  result.setup_s = std::chrono::duration<double>(Clock::now() - setup_start).count();

  if (kind_ == Kind::kWatch) {
    StartRound();
  } else {
    for (auto& ps : per_) {
      for (int slot = 0; slot < o_.outstanding; ++slot) Issue(ps.get(), slot);
    }
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o_.warmup_s));
  {
    std::unique_lock<std::mutex> lock(end_mu_);
    measure_start_ = Clock::now();
    phase_.store(kMeasure, std::memory_order_release);
    if (o_.ops > 0) {
      end_cv_.wait(lock, [&] { return ended_; });
    } else {
      end_cv_.wait_for(lock, std::chrono::duration<double>(o_.duration_s), [&] { return ended_; });
      if (!ended_) {
        ended_ = true;
        measure_end_ = Clock::now();
        phase_.store(kStop, std::memory_order_release);
      }
    }
  }
  // Drain: everything in flight completes (or 30 s pass).
  auto drain_deadline = Clock::now() + std::chrono::seconds(30);
  while (inflight_.load() > 0 && Clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  result.undrained = static_cast<uint64_t>(std::max<int64_t>(0, inflight_.load()));
  result.seconds = std::chrono::duration<double>(measure_end_ - measure_start_).count();
  result.ops = measured_.load();
  result.errors = errors_.load();
  {
    std::lock_guard<std::mutex> lock(codes_mu_);
    result.error_codes = error_codes_;
  }
  for (auto& ps : per_) {
    std::lock_guard<std::mutex> lock(ps->mu);
    result.latency.Merge(ps->latency);
  }
  if (o_.cleanup && result.undrained == 0) Cleanup();
  for (auto& s : sessions_) s->Close();
  return result;
}

}  // namespace

absl::StatusOr<RunResult> RunWorkload(const Options& options, Driver& driver) {
  Bench bench(options, driver);
  return bench.Run();
}

}  // namespace zkbench
