// Producer / consumer on a DistributedQueue.
//
//   zk_queue_example --server=127.0.0.1:2281 --dir=/queues/jobs --produce=100
//   zk_queue_example --server=127.0.0.1:2281 --dir=/queues/jobs --consume [--idle_ms=2000]
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "client/examples/example_args.h"
#include "client/recipes/queue.h"

int main(int argc, char** argv) {
  zk::examples::Args args(argc, argv);
  auto client = zk::ZkClient::Connect(args.Get("server", "127.0.0.1:2281"));
  if (!client.ok()) {
    std::fprintf(stderr, "connect: %s\n", client.status().ToString().c_str());
    return 1;
  }
  zk::recipes::DistributedQueue queue(client->get(), args.Get("dir", "/queues/jobs"));
  const long produce = args.GetInt("produce", 0);
  for (long i = 0; i < produce; ++i) {
    auto path = queue.Offer(absl::StrCat(args.Get("id", "p"), "-", i));
    if (!path.ok()) {
      std::fprintf(stderr, "offer: %s\n", path.status().ToString().c_str());
      return 1;
    }
  }
  if (args.Get("consume", "") == "true") {
    while (true) {
      auto item = queue.Take(absl::Milliseconds(args.GetInt("idle_ms", 2000)));
      if (!item.ok()) break;
      std::printf("%s\n", item->c_str());
    }
  }
  (*client)->Close().IgnoreError();
  return 0;
}
