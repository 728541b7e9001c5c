// Barrier: processes wait until a coordinator removes the barrier node.
// DoubleBarrier: `count` members enter together (nobody proceeds before all
// have arrived) and leave together (nobody leaves before all are done).
// Members are ephemeral children dir/<id>; arrival of the last member creates
// dir/ready, the signal waited for (an exists-watch, no herd on the children).
#ifndef ZABKEEPER_CLIENT_RECIPES_BARRIER_H_
#define ZABKEEPER_CLIENT_RECIPES_BARRIER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/recipes/recipe_util.h"
#include "client/zk_client.h"

namespace zk::recipes {

class Barrier {
 public:
  Barrier(ZkClient* client, std::string path) : client_(client), path_(std::move(path)) {}
  absl::Status Set();     // creates the barrier node (parents too)
  absl::Status Remove();  // releases everyone waiting
  // Returns once the node is gone; DeadlineExceeded on timeout.
  absl::Status Wait(absl::Duration timeout = absl::InfiniteDuration());

 private:
  ZkClient* const client_;
  const std::string path_;
};

class DoubleBarrier {
 public:
  DoubleBarrier(ZkClient* client, std::string dir, int count, std::string id = NewUuid());
  absl::Status Enter(absl::Duration timeout = absl::InfiniteDuration());
  absl::Status Leave(absl::Duration timeout = absl::InfiniteDuration());

 private:
  ZkClient* const client_;
  const std::string dir_;
  const int count_;
  const std::string id_;
};

}  // namespace zk::recipes

#endif  // ZABKEEPER_CLIENT_RECIPES_BARRIER_H_
