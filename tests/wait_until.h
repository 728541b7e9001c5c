// WaitUntil: tests wait on conditions, not on time. A fixed sleep before an
// assertion is either too short on a loaded CI machine (the test flakes) or
// too long everywhere else; polling the condition against a generous deadline
// is neither.
#ifndef ZABKEEPER_TESTS_WAIT_UNTIL_H_
#define ZABKEEPER_TESTS_WAIT_UNTIL_H_

#include <chrono>
#include <thread>

namespace zabkeeper::testing {

// Polls pred() every `poll` until it holds (true) or `timeout` passes (false;
// pred() is asked once more at the deadline).
template <typename Pred>
bool WaitUntil(Pred pred, std::chrono::milliseconds timeout,
               std::chrono::milliseconds poll = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(poll);
  }
  return pred();
}

}  // namespace zabkeeper::testing

#endif  // ZABKEEPER_TESTS_WAIT_UNTIL_H_
