// Joins a leader election and reports leadership changes.
//
//   zk_election_example --server=127.0.0.1:2281 --dir=/election/demo --id=node1
//                       [--seconds=30] [--log=leaders.txt]
//
// With --log, each leadership term is appended as "id start_ns end_ns".
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
  int64_t term_start = 0;
  auto now = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  zk::recipes::LeaderElection election(
      client->get(), args.Get("dir", "/election/demo"), id, [&](bool leader) {
        std::lock_guard<std::mutex> lock(mu);
        std::printf("%s: %s\n", id.c_str(), leader ? "LEADER" : "follower");
        std::fflush(stdout);
        if (leader) {
          term_start = now();
        } else if (term_start != 0 && fd >= 0) {
          const std::string line = absl::StrCat(id, " ", term_start, " ", now(), "\n");
          if (write(fd, line.data(), line.size()) < 0) {
            std::perror("write");
          }
          term_start = 0;
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
