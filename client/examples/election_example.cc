// Joins a leader election and reports leadership changes.
//
//   zk_election_example --server=127.0.0.1:2281 --dir=/election/demo --id=node1
//                       [--seconds=30] [--log=leaders.txt]
//
// With --log, leadership terms are appended as "id START ns" / "id END ns".
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "client/examples/example_args.h"
#include "client/recipes/leader_election.h"

int main(int argc, char** argv) {
  zk::examples::Args args(argc, argv);
  const std::string id = args.Get("id", "node");
  auto client = zk::ZkClient::Connect(args.Get("server", "127.0.0.1:2281"),
                                      absl::Milliseconds(args.GetInt("session_ms", 4000)));
  if (!client.ok()) {
    std::fprintf(stderr, "connect: %s\n", client.status().ToString().c_str());
    return 1;
  }
  const std::string log = args.Get("log", "");
  const int fd = log.empty() ? -1 : open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::mutex mu;
  auto now = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  // With --log, "id START ns" when leadership begins and "id END ns" when it
  // ends, each written at once so a checker sees terms of killed processes.
  zk::recipes::LeaderElection election(
      client->get(), args.Get("dir", "/election/demo"), id, [&](bool leader) {
        std::lock_guard<std::mutex> lock(mu);
        const int64_t t = now();
        std::printf("%s: %s\n", id.c_str(), leader ? "LEADER" : "follower");
        std::fflush(stdout);
        if (fd >= 0) {
          const std::string line = absl::StrCat(id, leader ? " START " : " END ", t, "\n");
          if (write(fd, line.data(), line.size()) < 0) std::perror("write");
        }
      });
  election.Start();
  const absl::Time end = absl::Now() + absl::Seconds(args.GetInt("seconds", 30));
  while (absl::Now() < end && (*client)->state() != zk::SessionState::kLost) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  election.Stop();
  if (fd >= 0) close(fd);
  (*client)->Close().IgnoreError();
  return 0;
}
