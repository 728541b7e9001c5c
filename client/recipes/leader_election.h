// Leader election: each candidate owns dir/n-<uuid>-<seq> (ephemeral
// sequential, data = its id); the lowest sequence leads; every other
// candidate watches only its predecessor.
//
// Safety across connection trouble: leadership is dropped (callback false)
// the moment the session is SUSPENDED, before the session could expire on the
// servers and another candidate take over; it is resumed only after a
// reattach proves the node (hence the session) survived and is still lowest.
// On session LOST the election ends (is_leader() stays false); build a new
// client and a new LeaderElection to rejoin.
//
// A background thread runs the election; on_change(bool) is called from it,
// one call at a time, only on actual changes.
#ifndef ZABKEEPER_CLIENT_RECIPES_LEADER_ELECTION_H_
#define ZABKEEPER_CLIENT_RECIPES_LEADER_ELECTION_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "client/recipes/recipe_util.h"
#include "client/zk_client.h"

namespace zk::recipes {

class LeaderElection {
 public:
  LeaderElection(ZkClient* client, std::string dir, std::string id,
                 std::function<void(bool is_leader)> on_change);
  ~LeaderElection();  // Stop()

  void Start();
  // Leaves the election (deletes the node); on_change(false) if leading.
  void Stop();
  // Gives up leadership and rejoins at the back of the queue.
  void Resign();

  bool is_leader() const { return leader_->load(); }
  // The id (node data) of the current leader, as this client sees it.
  absl::StatusOr<std::string> CurrentLeader();

 private:
  void Run();
  void SetLeader(bool leader);

  ZkClient* const client_;
  const std::string dir_;
  const std::string id_;
  const std::function<void(bool)> on_change_;
  std::shared_ptr<Waker> waker_ = Waker::Create();
  std::shared_ptr<std::atomic<bool>> connected_ = std::make_shared<std::atomic<bool>>(true);
  // Shared with the session listener, which may run after this object is gone.
  std::shared_ptr<std::atomic<bool>> leader_ = std::make_shared<std::atomic<bool>>(false);
  std::atomic<bool> stop_{false};
  std::atomic<bool> resign_{false};
  bool reported_ = false;  // election thread only
  int listener_id_ = 0;
  std::thread thread_;
};

}  // namespace zk::recipes

#endif  // ZABKEEPER_CLIENT_RECIPES_LEADER_ELECTION_H_
