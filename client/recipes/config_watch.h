// ConfigWatch: follows one znode (and optionally its whole subtree) and
// delivers its current value at start and every later value.
//
// - The one-shot watches are re-armed after every event, and the value is
//   re-read after every event, so after a burst of updates the last callback
//   carries the final data (intermediate values may be skipped, never the
//   latest).
// - Values never go backwards: a snapshot is delivered only if its highest
//   mzxid/pzxid is newer than the last one delivered.
// - Reconnects: the session re-registers the watches; on every reattach the
//   value is re-read anyway. On session LOST the watch ends.
// The callback runs on the ConfigWatch's own thread, one call at a time.
#ifndef ZABKEEPER_CLIENT_RECIPES_CONFIG_WATCH_H_
#define ZABKEEPER_CLIENT_RECIPES_CONFIG_WATCH_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "client/recipes/recipe_util.h"
#include "client/zk_client.h"

namespace zk::recipes {

struct ConfigSnapshot {
  std::optional<std::string> data;  // nullopt: the node does not exist
  Stat stat;
  // With watch_subtree: every descendant's data, keyed by path relative to
  // the watched node ("a/b").
  std::map<std::string, std::string> subtree;
  int64_t zxid = 0;  // highest czxid/mzxid/pzxid seen in the snapshot
};

class ConfigWatch {
 public:
  struct Options {
    bool watch_subtree = false;
  };
  ConfigWatch(ZkClient* client, std::string path, Options options,
              std::function<void(const ConfigSnapshot&)> on_value);
  ~ConfigWatch();  // Stop()

  void Start();
  void Stop();
  int64_t delivered_zxid() const { return delivered_zxid_.load(); }

 private:
  void Run();
  // Reads the tree, arming missing watches; false on a retryable error.
  bool Read(ConfigSnapshot* out);
  bool ReadChildren(const std::string& path, const std::string& rel, ConfigSnapshot* out);
  Watcher Arm(std::map<std::string, bool>* armed, const std::string& path);

  ZkClient* const client_;
  const std::string path_;
  const Options options_;
  const std::function<void(const ConfigSnapshot&)> on_value_;
  std::shared_ptr<Waker> waker_ = Waker::Create();
  // Paths whose data / child watch is currently registered; the watchers
  // clear their entry (under armed_mu_) before waking the thread.
  std::shared_ptr<std::mutex> armed_mu_ = std::make_shared<std::mutex>();
  std::shared_ptr<std::map<std::string, bool>> data_armed_ =
      std::make_shared<std::map<std::string, bool>>();
  std::shared_ptr<std::map<std::string, bool>> child_armed_ =
      std::make_shared<std::map<std::string, bool>>();
  std::atomic<int64_t> delivered_zxid_{-1};
  std::atomic<bool> stop_{false};
  int listener_id_ = 0;
  std::thread thread_;
};

}  // namespace zk::recipes

#endif  // ZABKEEPER_CLIENT_RECIPES_CONFIG_WATCH_H_
