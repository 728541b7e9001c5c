// Takes a distributed lock for a number of rounds and records each hold.
//
//   zk_lock_example --server=127.0.0.1:2281 --dir=/locks/demo --id=worker1
//       --rounds=10 [--hold_ms=20] [--log=holds.txt]
//       [--kind=lock|read|write|semaphore] [--leases=N]
//
// --kind picks the recipe: the exclusive Lock (default), the read or write
// side of a ReadWriteLock on --dir, or a Semaphore with --leases leases.
//
// Each hold appends "id token start_ns end_ns" to --log (O_APPEND, one
// write per line), where the interval is [lock acquired, release or "may have
// lost" notice]. A hold interrupted by a suspended session is logged with the
// time of the notice, so a checker can verify that intervals never overlap and
// that fencing tokens increase (tests/integration/client/lock_process_test.cc).
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/examples/example_args.h"
#include "client/recipes/lock.h"

namespace {
int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

int main(int argc, char** argv) {
  zk::examples::Args args(argc, argv);
  const std::string id = args.Get("id", "worker");
  const std::string log = args.Get("log", "");
  auto client =
      zk::ZkClient::Connect(args.Get("server", "127.0.0.1:2281"),
                            absl::Milliseconds(args.GetInt("session_ms", 4000)), absl::Seconds(30));
  if (!client.ok()) {
    std::fprintf(stderr, "%s: connect: %s\n", id.c_str(), client.status().ToString().c_str());
    return 1;
  }
  std::atomic<int64_t> lost_at{0};
  auto on_event = [&](zk::recipes::LockEvent e) {
    if (e != zk::recipes::LockEvent::kStillHeld) lost_at = NowNs();
  };
  const std::string dir = args.Get("dir", "/locks/demo");
  const std::string kind = args.Get("kind", "lock");
  std::unique_ptr<zk::recipes::ReadWriteLock> rw;
  std::unique_ptr<zk::recipes::ContenderLock> owned;
  zk::recipes::ContenderLock* chosen = nullptr;
  if (kind == "read" || kind == "write") {
    rw = std::make_unique<zk::recipes::ReadWriteLock>(client->get(), dir, on_event);
    chosen = kind == "read" ? &rw->read_lock() : &rw->write_lock();
  } else if (kind == "semaphore") {
    owned = std::make_unique<zk::recipes::Semaphore>(
        client->get(), dir, static_cast<int>(args.GetInt("leases", 2)), on_event);
    chosen = owned.get();
  } else {
    owned = std::make_unique<zk::recipes::Lock>(client->get(), dir, on_event);
    chosen = owned.get();
  }
  zk::recipes::ContenderLock& lock = *chosen;
  const int fd = log.empty() ? -1 : open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  const long rounds = args.GetInt("rounds", 10);
  int done = 0;
  for (long round = 0; round < rounds; ++round) {
    absl::Status s = lock.Acquire(absl::Seconds(30));
    if (!s.ok()) {
      std::fprintf(stderr, "%s: round %ld: %s\n", id.c_str(), round, s.ToString().c_str());
      if ((*client)->state() == zk::SessionState::kLost) return 2;
      continue;
    }
    lost_at = 0;
    const int64_t start = NowNs();
    const int64_t token = lock.fencing_token();
    absl::SleepFor(absl::Milliseconds(args.GetInt("hold_ms", 20)));
    const int64_t lost = lost_at.load();
    const int64_t end = lost != 0 ? lost : NowNs();
    if (fd >= 0) {
      const std::string line = absl::StrCat(id, " ", token, " ", start, " ", end, "\n");
      if (write(fd, line.data(), line.size()) < 0) std::perror("write");
    } else {
      std::printf("%s holds the lock (token %lld)\n", id.c_str(), static_cast<long long>(token));
    }
    lock.Release().IgnoreError();
    ++done;
  }
  if (fd >= 0) close(fd);
  (*client)->Close().IgnoreError();
  std::printf("%s: %d/%ld rounds\n", id.c_str(), done, rounds);
  return 0;
}
