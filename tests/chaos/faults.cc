#include "tests/chaos/faults.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/chaos/worker.h"

namespace zabkeeper::chaos {
namespace {

constexpr auto kServeTimeout = std::chrono::seconds(30);

// Debian's libfaketime, preloaded to set one server's wall clock off; empty
// if it is not installed.
std::string FakeTimeLibrary() {
  std::error_code ec;
  for (const auto& dir : std::filesystem::directory_iterator("/usr/lib", ec)) {
    const std::filesystem::path lib = dir.path() / "faketime" / "libfaketime.so.1";
    if (std::filesystem::exists(lib, ec)) return lib.string();
  }
  return "";
}

const char* const kCrashFailpoints[] = {"log.after_sync",
                                        "epoch.before_accepted_write",
                                        "epoch.after_accepted_write",
                                        "epoch.before_current_write",
                                        "epoch.after_current_write",
                                        "zab.after_newleader_ack",
                                        "snap.before_install",
                                        "snap.during_install"};

// Failpoints on the path of a follower joining a new leader: armed on a
// follower, then the leader is killed so an election takes that path.
bool OnJoinPath(const std::string& name) {
  return name.rfind("epoch.", 0) == 0 || name == "zab.after_newleader_ack";
}

}  // namespace

const std::vector<std::string>& ProcessFaultNames() {
  static const std::vector<std::string> names = {"kill-leader", "kill-minority", "kill-all",
                                                 "pause",       "failpoint",     "stall-kill-all",
                                                 "clock-skew"};
  return names;
}

FaultSchedule::FaultSchedule(ChaosCluster& cluster, NetFaults* net,
                             std::vector<std::string> enabled, uint64_t seed)
    : cluster_(cluster),
      net_(net),
      enabled_(std::move(enabled)),
      rng_(seed),
      fake_time_(FakeTimeLibrary()) {
  // A network fault this network cannot do is dropped.
  std::erase_if(enabled_, [this](const std::string& f) {
    auto has = [&f](const std::vector<std::string>& names) {
      return std::find(names.begin(), names.end(), f) != names.end();
    };
    return !has(ProcessFaultNames()) && (net_ == nullptr || !has(net_->Names()));
  });
  if (fake_time_.empty()) std::erase(enabled_, std::string("clock-skew"));
}

int FaultSchedule::RandomNode() {
  return 1 + static_cast<int>(rng_() % static_cast<uint64_t>(cluster_.size()));
}

std::vector<int> FaultSchedule::RandomMinority() {
  std::vector<int> ids;
  for (int id = 1; id <= cluster_.size(); ++id) ids.push_back(id);
  std::shuffle(ids.begin(), ids.end(), rng_);
  const int max = (cluster_.size() - 1) / 2;
  ids.resize(1 + rng_() % static_cast<uint64_t>(max));
  std::sort(ids.begin(), ids.end());
  return ids;
}

void FaultSchedule::Hold(int min_ms, int max_ms) {
  const int ms = min_ms + static_cast<int>(rng_() % static_cast<uint64_t>(max_ms - min_ms + 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

void FaultSchedule::Restart(const std::vector<int>& ids, const std::vector<std::string>& env) {
  std::vector<Time> started;
  for (int id : ids) {
    cluster_.ReapIfExited(id);
    cluster_.DisarmAll(id);
    cluster_.Start(id, env);
    started.push_back(Now());
  }
  // Each node's figure runs from its own restart, also while an earlier node
  // of `ids` was being waited for.
  for (size_t i = 0; i < ids.size(); ++i) {
    const int64_t waited = cluster_.WaitServing(ids[i], kServeTimeout);
    liveness_.restart_to_serving_ms.push_back(waited < 0 ? -1 : (Now() - started[i]) / 1'000'000);
  }
}

void FaultSchedule::KillLeader(FaultRecord& record) {
  const int leader = cluster_.Leader();
  if (leader == 0) {
    record.detail = "no leader to kill";
    return;
  }
  liveness_.leader_kills.push_back(Now());
  cluster_.Kill(leader);
  record.detail = absl::StrCat("killed leader ", leader);
  Hold(500, 2500);
  Restart({leader});
}

void FaultSchedule::Failpoint(FaultRecord& record) {
  const std::string name = kCrashFailpoints[rng_() % std::size(kCrashFailpoints)];
  const int leader = cluster_.Leader();
  int target = RandomNode();
  if (name != "log.after_sync" && target == leader && cluster_.size() > 1) {
    target = target % cluster_.size() + 1;
  }
  cluster_.ArmFailpoint(target, name);
  record.detail = absl::StrCat(name, " on ", target);
  std::vector<int> down;
  if (OnJoinPath(name) && leader != 0) {
    liveness_.leader_kills.push_back(Now());
    cluster_.Kill(leader);
    down.push_back(leader);
    absl::StrAppend(&record.detail, ", killed leader ", leader);
  } else if (name.rfind("snap.", 0) == 0) {
    // A follower whose database is gone is sent a SNAP when it rejoins.
    cluster_.Kill(target);
    cluster_.WipeDatabase(target);
    absl::StrAppend(&record.detail, ", database wiped");
    Hold(500, 1500);
    cluster_.Start(target);
  }
  // Wait for the crash for up to the hold; a failpoint not reached is disarmed.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(2500);
  bool crashed = false;
  while (!crashed && std::chrono::steady_clock::now() < deadline) {
    crashed = cluster_.ReapIfExited(target);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  cluster_.DisarmAll(target);
  absl::StrAppend(&record.detail, crashed ? ", crashed" : ", not reached");
  if (crashed) down.push_back(target);
  std::sort(down.begin(), down.end());
  Restart(down);
}

void FaultSchedule::StallKillAll(FaultRecord& record) {
  // Every node's log device stops completing writes (log.stall), then power
  // fails everywhere: what was only queued for the disk is gone. Nothing
  // acknowledged may have been among it.
  const int leader = cluster_.Leader();
  std::vector<int> ids;
  for (int id = 1; id <= cluster_.size(); ++id) {
    cluster_.ArmFailpoint(id, "log.stall");
    ids.push_back(id);
  }
  Hold(200, 1000);
  if (leader != 0) liveness_.leader_kills.push_back(Now());
  for (int id : ids) cluster_.Kill(id);
  record.detail = "log.stall on all, then killed all";
  Hold(200, 800);
  Restart(ids);  // disarms first
}

void FaultSchedule::ClockSkew(FaultRecord& record) {
  // The node's wall clock is set off by minutes to a day, either way; its
  // monotonic clock is left alone (a clock step, not a slow clock). It stays
  // off until a later fault restarts it.
  static const char* const kOffsets[] = {"-1d", "-10m", "-1m", "+1m", "+10m", "+1d"};
  const int target = RandomNode();
  const std::string offset = kOffsets[rng_() % std::size(kOffsets)];
  if (target == cluster_.Leader()) liveness_.leader_kills.push_back(Now());
  cluster_.Kill(target);
  record.detail = absl::StrCat("restarted ", target, " with its wall clock ", offset);
  Restart({target}, {"LD_PRELOAD=" + fake_time_, "FAKETIME=" + offset,
                     "FAKETIME_DONT_FAKE_MONOTONIC=1", "FAKETIME_DONT_RESET=1"});
}

FaultRecord FaultSchedule::Step() {
  FaultRecord record;
  record.start = Now();
  if (enabled_.empty()) {
    record.name = "none";
    record.end = Now();
    return record;
  }
  record.name = enabled_[rng_() % enabled_.size()];
  const std::string& f = record.name;
  if (f == "kill-leader") {
    KillLeader(record);
  } else if (f == "kill-minority") {
    std::vector<int> ids = RandomMinority();
    for (int id : ids) cluster_.Kill(id);
    record.detail = absl::StrCat("killed ", absl::StrJoin(ids, ","));
    Hold(500, 2500);
    Restart(ids);
  } else if (f == "kill-all") {
    std::vector<int> ids;
    for (int id = 1; id <= cluster_.size(); ++id) {
      cluster_.Kill(id);
      ids.push_back(id);
    }
    record.detail = "killed all";
    Hold(200, 1500);
    Restart(ids);
  } else if (f == "pause") {
    const int leader = cluster_.Leader();
    const int target = (rng_() % 2 == 0 && leader != 0) ? leader : RandomNode();
    if (target == leader) liveness_.leader_kills.push_back(Now());
    cluster_.Pause(target);
    record.detail = absl::StrCat("paused ", target, target == leader ? " (leader)" : "");
    Hold(1000, 3000);  // > syncLimit * tickTime = 500 ms
    cluster_.Resume(target);
  } else if (f == "failpoint") {
    Failpoint(record);
  } else if (f == "stall-kill-all") {
    StallKillAll(record);
  } else if (f == "clock-skew") {
    ClockSkew(record);
  } else if (net_ != nullptr) {
    if (!net_->Apply(f, cluster_.Leader(), rng_, record)) record.detail += " (not applied)";
    if (record.leader_cut) liveness_.leader_kills.push_back(Now());
    // A lagging follower must be healed before it notices the silence
    // (syncLimit x tickTime = 500 ms, of which Apply spent 100-200 ms) and
    // stops serving.
    if (f == "lag-reconnect") {
      Hold(100, 250);
    } else {
      Hold(1000, 3000);
    }
    net_->Heal();
  }
  record.end = Now();
  MeasureHeal(record.end);
  return record;
}

void FaultSchedule::MeasureHeal(Time healed) {
  bool all = true;
  for (int id = 1; id <= cluster_.size() && all; ++id) {
    all = cluster_.WaitServing(id, kServeTimeout) >= 0;
  }
  liveness_.heal_to_serving_ms.push_back(all ? (Now() - healed) / 1'000'000 : -1);
}

void FaultSchedule::HealAll() {
  if (net_ != nullptr) net_->Heal();
  std::vector<int> down;
  for (int id = 1; id <= cluster_.size(); ++id) {
    cluster_.Resume(id);
    cluster_.DisarmAll(id);
    cluster_.ReapIfExited(id);
    if (!cluster_.running(id)) down.push_back(id);
  }
  const Time healed = Now();
  Restart(down);
  MeasureHeal(healed);
}

}  // namespace zabkeeper::chaos
