// Small helpers for client tests: a thread-safe recorder of watch events and
// session states with bounded waits.
#ifndef ZABKEEPER_TESTS_UNIT_CLIENT_TEST_UTIL_H_
#define ZABKEEPER_TESTS_UNIT_CLIENT_TEST_UTIL_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

#include "absl/time/time.h"
#include "client/types.h"

namespace zk::testing {

template <typename T>
class Recorder {
 public:
  void Add(T v) {
    std::lock_guard<std::mutex> lock(mu_);
    items_.push_back(std::move(v));
    cv_.notify_all();
  }
  // Waits until pred(items) holds; false on timeout.
  bool WaitFor(const std::function<bool(const std::vector<T>&)>& pred,
               absl::Duration timeout = absl::Seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return pred(items_); });
  }
  bool WaitCount(size_t n, absl::Duration timeout = absl::Seconds(10)) {
    return WaitFor([n](const std::vector<T>& v) { return v.size() >= n; }, timeout);
  }
  std::vector<T> items() {
    std::lock_guard<std::mutex> lock(mu_);
    return items_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<T> items_;
};

inline Watcher RecordInto(Recorder<WatchedEvent>* r) {
  return [r](const WatchedEvent& e) { r->Add(e); };
}

inline bool Contains(const std::vector<SessionState>& v, SessionState s) {
  for (SessionState x : v) {
    if (x == s) return true;
  }
  return false;
}

}  // namespace zk::testing

#endif  // ZABKEEPER_TESTS_UNIT_CLIENT_TEST_UTIL_H_
