// Prints a znode's value (and with --subtree its descendants) at start and
// on every change.
//
//   zk_config_example --server=127.0.0.1:2281 --path=/config/app [--subtree] [--seconds=60]
#include <cstdio>

#include "client/examples/example_args.h"
#include "client/recipes/config_watch.h"

int main(int argc, char** argv) {
  zk::examples::Args args(argc, argv);
  auto client = zk::ZkClient::Connect(args.Get("server", "127.0.0.1:2281"));
  if (!client.ok()) {
    std::fprintf(stderr, "connect: %s\n", client.status().ToString().c_str());
    return 1;
  }
  zk::recipes::ConfigWatch watch(client->get(), args.Get("path", "/config/app"),
                                 {.watch_subtree = args.Get("subtree", "") == "true"},
                                 [](const zk::recipes::ConfigSnapshot& s) {
                                   std::printf("value: %s (zxid 0x%llx)\n",
                                               s.data ? s.data->c_str() : "<absent>",
                                               static_cast<unsigned long long>(s.zxid));
                                   for (const auto& [path, data] : s.subtree) {
                                     std::printf("  %s = %s\n", path.c_str(), data.c_str());
                                   }
                                   std::fflush(stdout);
                                 });
  watch.Start();
  absl::SleepFor(absl::Seconds(args.GetInt("seconds", 60)));
  return 0;
}
