#include "tests/bench/zkbench/pipeline.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace zkbench {
namespace {

struct State : std::enable_shared_from_this<State> {
  size_t n = 0;
  std::function<void(size_t, Done)> op;
  std::function<bool(int)> tolerated;
  std::mutex mu;
  std::condition_variable cv;
  size_t next = 0;
  size_t completed = 0;
  size_t errors = 0;

  void StartOne() {
    size_t i;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (next >= n) return;
      i = next++;
    }
    op(i, [self = shared_from_this()](int err) { self->Finished(err); });
  }

  void Finished(int err) {
    StartOne();
    std::lock_guard<std::mutex> lock(mu);
    if (err != kOk && !(tolerated && tolerated(err))) ++errors;
    if (++completed == n) cv.notify_all();
  }
};

}  // namespace

size_t Pipeline(size_t n, int k, const std::function<void(size_t, Done)>& op,
                const std::function<bool(int)>& tolerated) {
  if (n == 0) return 0;
  auto state = std::make_shared<State>();
  state->n = n;
  state->op = op;
  state->tolerated = tolerated;
  for (int j = 0; j < k; ++j) state->StartOne();
  std::unique_lock<std::mutex> lock(state->mu);
  // A request that never completes (server gone) must not hang the tool.
  if (!state->cv.wait_for(lock, std::chrono::minutes(5), [&] { return state->completed == n; })) {
    return state->errors + (n - state->completed);
  }
  return state->errors;
}

}  // namespace zkbench
