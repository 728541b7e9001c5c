// BoundedQueue: a multi-producer queue between two pipeline stages. The
// consumer takes everything queued at once (that is how group commit forms its
// batches). Close() wakes the consumer for shutdown.
#ifndef ZABKEEPER_SERVER_BOUNDED_QUEUE_H_
#define ZABKEEPER_SERVER_BOUNDED_QUEUE_H_

#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

namespace zabkeeper::server {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  // Blocks while full. Returns false once closed.
  bool Push(T item) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }

  // Blocks until something is queued; returns up to max_items of it in order.
  // An empty result means closed and drained.
  std::vector<T> PopBatch(size_t max_items) {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    return TakeLocked(max_items);
  }

  // As PopBatch, but gives up after `timeout` (an empty result then says
  // nothing about closing: check closed()).
  template <typename Duration>
  std::vector<T> PopBatchFor(size_t max_items, Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); });
    return TakeLocked(max_items);
  }

  bool closed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }

  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return items_.size();
  }

 private:
  std::vector<T> TakeLocked(size_t max_items) {
    std::vector<T> out;
    while (!items_.empty() && out.size() < max_items) {
      out.push_back(std::move(items_.front()));
      items_.pop_front();
    }
    not_full_.notify_all();
    return out;
  }

  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_BOUNDED_QUEUE_H_
