// Recipes against a real server, with failures: lock holders in separate
// processes while the server is killed and restarted, leader election across
// a server kill and a leader's session expiry, K ConfigWatch watchers under a
// burst of updates, and a queue with several producers and consumers.
// Against one server now; the connect strings are the only thing to change
// for a 3-node ensemble.
#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/recipes/config_watch.h"
#include "client/recipes/queue.h"
#include "gtest/gtest.h"
#include "tests/integration/client/process_util.h"
#include "tests/integration/server_process.h"

namespace zk {
namespace {

using zabkeeper::testing::ServerProcess;
using zabkeeper::testing::TempDir;
using zk::testing::ReadRecords;
using zk::testing::Spawn;
using zk::testing::ToInt;
using zk::testing::WaitOrKill;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class RecipesServerTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.Start(); }
  std::unique_ptr<ZkClient> Connect() {
    auto c = ZkClient::Connect(server_.address(), absl::Seconds(6), absl::Seconds(10));
    EXPECT_TRUE(c.ok()) << c.status();
    return *std::move(c);
  }
  // Kills the server and brings it back with the same dataDir.
  void Bounce(absl::Duration down = absl::Milliseconds(300)) {
    server_.Kill();
    absl::SleepFor(down);
    server_.Start();
  }
  TempDir dir_;
  ServerProcess server_{dir_.path()};
};

TEST_F(RecipesServerTest, Lock_ProcessesAcrossServerRestarts_NoOverlapAndTokensIncrease) {
  const std::string log = dir_.path() + "/holds.txt";
  std::vector<pid_t> pids;
  for (int i = 0; i < 3; ++i) {
    pids.push_back(Spawn({ZK_LOCK_EXAMPLE_BIN, "--server=" + server_.address(), "--dir=/locks/it",
                          "--id=p" + std::to_string(i), "--rounds=60", "--hold_ms=15",
                          "--session_ms=6000", "--log=" + log},
                         dir_.path() + "/lock-proc.out"));
  }
  absl::SleepFor(absl::Milliseconds(600));
  Bounce();
  absl::SleepFor(absl::Milliseconds(600));
  Bounce();
  for (pid_t pid : pids) EXPECT_EQ(WaitOrKill(pid, std::chrono::seconds(60)), 0);

  auto records = ReadRecords(log);
  ASSERT_GE(records.size(), 30u) << "too few holds recorded";
  struct Hold {
    std::string id;
    int64_t token, start, end;
  };
  std::vector<Hold> holds;
  for (const auto& r : records) {
    ASSERT_EQ(r.size(), 4u);
    holds.push_back({r[0], ToInt(r[1]), ToInt(r[2]), ToInt(r[3])});
  }
  std::sort(holds.begin(), holds.end(),
            [](const Hold& a, const Hold& b) { return a.start < b.start; });
  for (size_t i = 1; i < holds.size(); ++i) {
    EXPECT_LE(holds[i - 1].end, holds[i].start)
        << holds[i - 1].id << " and " << holds[i].id << " overlap";
    EXPECT_LT(holds[i - 1].token, holds[i].token) << "fencing token went backwards";
  }
}

TEST_F(RecipesServerTest, LeaderElection_ServerKillAndLeaderExpiry_NeverTwoLeaders) {
  const std::string log = dir_.path() + "/terms.txt";
  std::map<std::string, pid_t> pids;
  for (int i = 0; i < 3; ++i) {
    const std::string id = "c" + std::to_string(i);
    pids[id] =
        Spawn({ZK_ELECTION_EXAMPLE_BIN, "--server=" + server_.address(), "--dir=/election/it",
               "--id=" + id, "--seconds=9", "--session_ms=2000", "--log=" + log},
              dir_.path() + "/election-proc.out");
  }
  absl::SleepFor(absl::Milliseconds(1500));
  Bounce();
  absl::SleepFor(absl::Milliseconds(1500));
  // Kill the current leader's process: its session must expire on the server
  // before anyone else may lead.
  std::string leader;
  for (const auto& r : ReadRecords(log))
    leader = r[1] == "START" ? r[0] : (r[0] == leader ? "" : leader);
  ASSERT_FALSE(leader.empty()) << "no leader after the restart";
  const int64_t killed_at = NowNs();
  kill(pids[leader], SIGKILL);
  WaitOrKill(pids[leader], std::chrono::seconds(5));
  pids.erase(leader);
  for (const auto& [id, pid] : pids) EXPECT_EQ(WaitOrKill(pid, std::chrono::seconds(30)), 0);

  // Terms from the log; a killed leader's term ends when it was killed.
  std::map<std::string, int64_t> open;
  std::vector<std::pair<int64_t, int64_t>> terms;
  std::set<std::string> leaders;
  for (const auto& r : ReadRecords(log)) {
    ASSERT_EQ(r.size(), 3u);
    if (r[1] == "START") {
      open[r[0]] = ToInt(r[2]);
      leaders.insert(r[0]);
    } else if (open.count(r[0])) {
      terms.emplace_back(open[r[0]], ToInt(r[2]));
      open.erase(r[0]);
    }
  }
  for (const auto& [id, start] : open)
    terms.emplace_back(start, id == leader ? killed_at : NowNs());
  std::sort(terms.begin(), terms.end());
  for (size_t i = 1; i < terms.size(); ++i) {
    EXPECT_LE(terms[i - 1].second, terms[i].first) << "two leaders at once";
  }
  EXPECT_GE(leaders.size(), 2u) << "leadership never moved after the leader died";
}

TEST_F(RecipesServerTest, ConfigWatch_KWatchersBurstAndRestart_EndOnFinalNeverBackwards) {
  constexpr int kWatchers = 5, kUpdates = 150;
  auto writer = Connect();
  ASSERT_TRUE(writer->Create("/cfg", "0").ok());
  std::vector<std::unique_ptr<ZkClient>> clients;
  std::vector<std::unique_ptr<recipes::ConfigWatch>> watches;
  std::mutex mu;
  std::vector<std::vector<int>> seen(kWatchers);
  for (int i = 0; i < kWatchers; ++i) {
    clients.push_back(Connect());
    watches.push_back(std::make_unique<recipes::ConfigWatch>(
        clients.back().get(), "/cfg", recipes::ConfigWatch::Options{},
        [&, i](const recipes::ConfigSnapshot& s) {
          std::lock_guard<std::mutex> lock(mu);
          seen[i].push_back(std::stoi(s.data.value_or("-1")));
        }));
    watches.back()->Start();
  }
  auto write = [&](int value) {
    for (int attempt = 0; attempt < 100; ++attempt) {  // bounded retries across the restart
      absl::Status s = writer->SetData("/cfg", std::to_string(value)).status();
      if (s.ok()) return;
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "could not write " << value;
  };
  for (int v = 1; v <= kUpdates / 2; ++v) write(v);
  Bounce();
  for (int v = kUpdates / 2 + 1; v <= kUpdates; ++v) write(v);
  bool all_final = false;
  for (int i = 0; i < 200 && !all_final; ++i) {  // bounded: 10 s
    absl::SleepFor(absl::Milliseconds(50));
    std::lock_guard<std::mutex> lock(mu);
    all_final = std::all_of(seen.begin(), seen.end(),
                            [](const auto& v) { return !v.empty() && v.back() == kUpdates; });
  }
  for (auto& w : watches) w->Stop();
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_TRUE(all_final);
  for (int i = 0; i < kWatchers; ++i) {
    for (size_t j = 1; j < seen[i].size(); ++j) {
      EXPECT_LT(seen[i][j - 1], seen[i][j]) << "watcher " << i << " went backwards";
    }
  }
}

TEST_F(RecipesServerTest, Queue_ProducersAndConsumers_EveryItemConsumedOnce) {
  constexpr int kProducers = 3, kConsumers = 3, kItems = 60;
  std::atomic<int> produced{0};
  std::mutex mu;
  std::multiset<std::string> consumed;
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      auto c = Connect();
      recipes::DistributedQueue q(c.get(), "/queue/it");
      for (int i = 0; i < kItems; ++i) {
        ASSERT_TRUE(q.Offer("p" + std::to_string(p) + "-" + std::to_string(i)).ok());
        ++produced;
      }
    });
  }
  for (int k = 0; k < kConsumers; ++k) {
    threads.emplace_back([&] {
      auto c = Connect();
      recipes::DistributedQueue q(c.get(), "/queue/it");
      const absl::Time deadline = absl::Now() + absl::Seconds(60);
      while (absl::Now() < deadline) {
        auto item = q.Take(absl::Milliseconds(1000));
        if (item.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          consumed.insert(*item);
        } else if (produced.load() == kProducers * kItems) {
          EXPECT_EQ(item.status().code(), absl::StatusCode::kDeadlineExceeded) << item.status();
          return;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(consumed.size(), static_cast<size_t>(kProducers * kItems));
  for (int p = 0; p < kProducers; ++p) {
    for (int i = 0; i < kItems; ++i) {
      // StrCat, not "p" + std::to_string(p): GCC 12 -O3 false -Wrestrict (PR 105329).
      EXPECT_EQ(consumed.count(absl::StrCat("p", p, "-", i)), 1u);
    }
  }
}

}  // namespace
}  // namespace zk
