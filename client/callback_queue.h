// The thread that runs every user callback of one client: completions, watch
// events and session state changes, one at a time, in the order the library
// queued them (which is the order the server sent them). Callbacks therefore
// never run under a library lock and never race each other, as with
// ZooKeeper's EventThread.
#ifndef ZABKEEPER_CLIENT_CALLBACK_QUEUE_H_
#define ZABKEEPER_CLIENT_CALLBACK_QUEUE_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace zk {

class CallbackQueue {
 public:
  CallbackQueue();
  ~CallbackQueue();  // Stop()
  CallbackQueue(const CallbackQueue&) = delete;
  CallbackQueue& operator=(const CallbackQueue&) = delete;

  void Post(std::function<void()> fn);
  // Runs what is queued, then ends the thread. Called from the callback thread
  // itself it detaches instead (a client destroyed from its own callback).
  void Stop();
  bool InCallbackThread() const { return std::this_thread::get_id() == thread_id_; }

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;
  std::thread::id thread_id_;
};

}  // namespace zk

#endif  // ZABKEEPER_CLIENT_CALLBACK_QUEUE_H_
