// SharedCounter and DoubleBarrier in one small program: N copies started
// together enter the barrier, each adds --adds to the counter, and they leave
// together; the last prints the total.
//
//   for i in 1 2 3; do zk_counter_barrier_example --server=127.0.0.1:2281 --members=3 & done
#include <cstdio>

#include "client/examples/example_args.h"
#include "client/recipes/barrier.h"
#include "client/recipes/queue.h"

int main(int argc, char** argv) {
  zk::examples::Args args(argc, argv);
  auto client = zk::ZkClient::Connect(args.Get("server", "127.0.0.1:2281"));
  if (!client.ok()) {
    std::fprintf(stderr, "connect: %s\n", client.status().ToString().c_str());
    return 1;
  }
  zk::recipes::DoubleBarrier barrier(client->get(), args.Get("barrier", "/barriers/demo"),
                                     static_cast<int>(args.GetInt("members", 2)));
  zk::recipes::SharedCounter counter(client->get(), args.Get("counter", "/counters/demo"));
  if (absl::Status s = barrier.Enter(absl::Seconds(60)); !s.ok()) {
    std::fprintf(stderr, "enter: %s\n", s.ToString().c_str());
    return 1;
  }
  for (long i = 0; i < args.GetInt("adds", 10); ++i) counter.Add(1).IgnoreError();
  if (absl::Status s = barrier.Leave(absl::Seconds(60)); !s.ok()) {
    std::fprintf(stderr, "leave: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("counter = %lld\n", static_cast<long long>(counter.Get().value_or(-1)));
  (*client)->Close().IgnoreError();
  return 0;
}
