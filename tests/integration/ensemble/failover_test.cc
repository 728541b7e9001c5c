// Leader crash under a steady write load: a new leader is elected, clients
// fail over, every acknowledged write survives. Also measures the failover
// time (kill -> first acknowledged write after it); a measurement, not an
// assertion. ZK_FAILOVER_RUNS=N (default 2) sets the number of kills; the
// numbers are printed and recorded as test properties (docs/FAILOVER.md).
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "tests/integration/ensemble.h"
#include "tests/integration/server/raw_session.h"
#include "tests/wait_until.h"

namespace zabkeeper::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A bounded writer: creates /load/w-<n> one after another through a
// FailoverSession until stopped (or 60 s / 200k writes), recording the time
// of every acknowledged write.
class Writer {
 public:
  Writer(Ensemble& e, int server, std::string prefix) : session_(e, server, 5000) {
    prefix_ = std::move(prefix);
    opened_ = session_.Open().err() == proto::OK;
    if (opened_) thread_ = std::thread([this] { Run(); });
  }
  ~Writer() { Stop(); }
  bool opened() const { return opened_; }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Valid after Stop().
  const std::vector<std::string>& acked() const { return acked_; }
  const std::vector<Clock::time_point>& ack_times() const { return ack_times_; }
  int unknown() const { return unknown_; }
  int reattaches() const { return session_.reattaches(); }
  size_t acked_count() const { return acked_n_.load(); }
  // First ack after t, if any (read while running: guarded by count).
  std::optional<Clock::time_point> FirstAckAfter(Clock::time_point t) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto at : ack_times_) {
      if (at > t) return at;
    }
    return std::nullopt;
  }

 private:
  void Run() {
    const auto deadline = Clock::now() + 60s;
    for (int i = 0; i < 200000 && !stop_ && Clock::now() < deadline; ++i) {
      std::string path = prefix_ + std::to_string(i);
      proto::Response r = session_.Call(CreateReq(path, "x"), 2s, 5s);
      if (r.err() == proto::OK) {
        std::lock_guard<std::mutex> lock(mu_);
        acked_.push_back(path);
        ack_times_.push_back(Clock::now());
        acked_n_ = acked_.size();
      } else if (r.err() == proto::SESSION_EXPIRED) {
        break;
      } else {
        ++unknown_;  // outcome unknown (or failed): not counted
        std::this_thread::sleep_for(10ms);
      }
    }
  }

  FailoverSession session_;
  std::string prefix_;
  bool opened_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> acked_;
  std::vector<Clock::time_point> ack_times_;
  std::atomic<size_t> acked_n_{0};
  int unknown_ = 0;
};

std::set<std::string> ChildrenOn(Ensemble& e, int id, const std::string& path) {
  RawSession s(e.node(id).address());
  std::set<std::string> out;
  if (s.Connect(5000).err() != proto::OK) return out;
  proto::Response r = s.Call(ChildrenReq(path), 5s);
  for (const auto& c : r.get_children().children()) out.insert(path + "/" + c);
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

TEST(FailoverTest, LeaderKilledUnderLoad_NewLeaderElected_AckedWritesSurvive) {
  int runs = 2;
  if (const char* env = getenv("ZK_FAILOVER_RUNS")) runs = std::max(1, atoi(env));
  TempDir dir;
  Ensemble ensemble(dir.path(), 3);
  ensemble.StartAll();
  int leader = ensemble.WaitForLeader();
  ASSERT_GT(leader, 0);
  {
    RawSession s(ensemble.node(leader).address());
    ASSERT_EQ(s.Connect().err(), proto::OK);
    ASSERT_EQ(s.Call(CreateReq("/load", "")).err(), proto::OK);
  }
  std::vector<double> election_ms, failover_ms;
  std::vector<std::string> all_acked;
  for (int run = 0; run < runs; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    int follower = leader % 3 + 1;
    // One writer attached to the leader (it must reattach), one to a follower.
    Writer on_leader(ensemble, leader, "/load/r" + std::to_string(run) + "-l-");
    Writer on_follower(ensemble, follower, "/load/r" + std::to_string(run) + "-f-");
    ASSERT_TRUE(on_leader.opened());
    ASSERT_TRUE(on_follower.opened());
    ASSERT_TRUE(WaitUntil(
        [&] { return on_leader.acked_count() > 10 && on_follower.acked_count() > 10; }, 30s))
        << "no steady load before the kill";
    const Clock::time_point killed = Clock::now();
    ensemble.node(leader).Kill(SIGKILL);
    std::vector<int> rest;
    for (int id = 1; id <= 3; ++id) {
      if (id != leader) rest.push_back(id);
    }
    int new_leader = WaitForLeaderAmong(ensemble, rest, 1, 15s);
    const Clock::time_point elected = Clock::now();
    ASSERT_GT(new_leader, 0) << "no new leader after killing " << leader;
    ASSERT_NE(new_leader, leader);
    // Both writers must resume.
    std::optional<Clock::time_point> resumed_l, resumed_f;
    WaitUntil(
        [&] {
          resumed_l = on_leader.FirstAckAfter(elected);
          resumed_f = on_follower.FirstAckAfter(elected);
          return resumed_l && resumed_f;
        },
        30s);
    // A few more writes on the new leader's watch before the check.
    const size_t l_then = on_leader.acked_count(), f_then = on_follower.acked_count();
    WaitUntil(
        [&] {
          return on_leader.acked_count() >= l_then + 5 && on_follower.acked_count() >= f_then + 5;
        },
        10s);
    on_leader.Stop();
    on_follower.Stop();
    ASSERT_TRUE(resumed_l) << "writer on the killed leader never resumed";
    ASSERT_TRUE(resumed_f) << "writer on a follower never resumed";
    EXPECT_GE(on_leader.reattaches(), 1);
    double el = std::chrono::duration<double, std::milli>(elected - killed).count();
    double fo = std::chrono::duration<double, std::milli>(std::max(*resumed_l, *resumed_f) - killed)
                    .count();
    election_ms.push_back(el);
    failover_ms.push_back(fo);
    printf(
        "[failover] run %d: killed leader %d, new leader %d, election %.0f ms, "
        "writes resumed after %.0f ms; acked %zu+%zu, unknown %d+%d\n",
        run, leader, new_leader, el, fo, on_leader.acked().size(), on_follower.acked().size(),
        on_leader.unknown(), on_follower.unknown());
    all_acked.insert(all_acked.end(), on_leader.acked().begin(), on_leader.acked().end());
    all_acked.insert(all_acked.end(), on_follower.acked().begin(), on_follower.acked().end());
    // The old leader comes back and catches up; every acked write is on
    // every server.
    ensemble.node(leader).Start();
    ASSERT_GT(ensemble.WaitForLeader(20s, 2), 0);
    ASSERT_TRUE(ensemble.WaitConverged(20s)) << "replicas differ after run " << run;
    for (int id = 1; id <= 3; ++id) {
      std::set<std::string> have = ChildrenOn(ensemble, id, "/load");
      size_t missing = 0;
      for (const std::string& p : all_acked) missing += have.count(p) == 0;
      EXPECT_EQ(missing, 0u) << "node " << id << " lost acknowledged writes";
    }
    leader = ensemble.WaitForLeader(20s, 2);
    ASSERT_GT(leader, 0);
  }
  printf("[failover] %d runs: median election %.0f ms, median failover %.0f ms\n", runs,
         Median(election_ms), Median(failover_ms));
  ::testing::Test::RecordProperty("median_election_ms", static_cast<int>(Median(election_ms)));
  ::testing::Test::RecordProperty("median_failover_ms", static_cast<int>(Median(failover_ms)));
}

}  // namespace
}  // namespace zabkeeper::testing
