#include "client/callback_queue.h"

#include <pthread.h>

#include <exception>

#include "glog/logging.h"

namespace zk {

CallbackQueue::CallbackQueue() {
  thread_ = std::thread([this] { Run(); });
  thread_id_ = thread_.get_id();
}

CallbackQueue::~CallbackQueue() { Stop(); }

void CallbackQueue::Post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(fn));
  }
  cv_.notify_one();
}

void CallbackQueue::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (!thread_.joinable()) return;
  if (InCallbackThread()) {
    thread_.detach();
  } else {
    thread_.join();
  }
}

void CallbackQueue::Run() {
  pthread_setname_np(pthread_self(), "zkc-events");
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    std::function<void()> fn = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    try {
      fn();
    } catch (const std::exception& e) {
      LOG(ERROR) << "zk client callback threw: " << e.what();
    }
    lock.lock();
  }
}

}  // namespace zk
