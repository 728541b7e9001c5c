#include "client/recipes/leader_election.h"

#include "client/paths.h"

namespace zk::recipes {

LeaderElection::LeaderElection(ZkClient* client, std::string dir, std::string id,
                               std::function<void(bool)> on_change)
    : client_(client), dir_(std::move(dir)), id_(std::move(id)), on_change_(std::move(on_change)) {}

LeaderElection::~LeaderElection() { Stop(); }

void LeaderElection::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  std::weak_ptr<Waker> waker = waker_;
  std::shared_ptr<std::atomic<bool>> connected = connected_;
  // The leader flag drops here, on the callback thread, as soon as the
  // session is suspended; the election thread reports it.
  std::shared_ptr<std::atomic<bool>> leader = leader_;
  listener_id_ = client_->AddStateListener([waker, connected, leader](SessionState s) {
    const bool up = s == SessionState::kConnected || s == SessionState::kAuthFailed;
    connected->store(up);
    if (!up) leader->store(false);
    if (auto w = waker.lock()) w->Wake();
  });
  connected_->store(client_->state() == SessionState::kConnected);
  thread_ = std::thread([this] { Run(); });
}

void LeaderElection::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  waker_->Wake();
  thread_.join();
  client_->RemoveStateListener(listener_id_);
}

void LeaderElection::Resign() {
  resign_ = true;
  waker_->Wake();
}

void LeaderElection::SetLeader(bool leader) {
  if (leader) {
    // Publish, then re-check: the listener clears connected_ before leader_,
    // so either it clears our store or we see the disconnect here.
    leader_->store(true);
    if (!connected_->load()) {
      leader_->store(false);
      leader = false;
    }
  } else {
    leader_->store(false);
  }
  if (leader != reported_) {
    reported_ = leader;
    if (on_change_) on_change_(leader);
  }
}

void LeaderElection::Run() {
  std::string node;  // full path of our node
  while (!stop_) {
    const uint64_t seen = waker_->generation();
    const SessionState state = client_->state();
    if (state == SessionState::kLost || state == SessionState::kClosed) {
      SetLeader(false);
      return;
    }
    if (!connected_->load() || state != SessionState::kConnected) {
      SetLeader(false);
      waker_->WaitChange(seen, absl::Now() + absl::Seconds(1));
      continue;
    }
    if (resign_.exchange(false) && !node.empty()) {
      SetLeader(false);
      if (client_->Delete(node).ok()) node.clear();
      continue;
    }
    if (node.empty()) {
      absl::StatusOr<CreateResult> created = CreateContender(*client_, dir_, "n-", NewUuid(), id_);
      if (!created.ok()) {
        waker_->WaitChange(seen, absl::Now() + absl::Milliseconds(200));
        continue;
      }
      node = created->path;
    }
    absl::StatusOr<std::vector<Contender>> all = SortedContenders(*client_, dir_);
    if (!all.ok()) {
      SetLeader(false);
      waker_->WaitChange(seen, absl::Now() + absl::Milliseconds(200));
      continue;
    }
    const int me = IndexOf(*all, std::string(NodeName(node)));
    if (me < 0) {  // our node is gone (e.g. removed by an operator): rejoin
      SetLeader(false);
      node.clear();
      continue;
    }
    absl::StatusOr<std::optional<Stat>> watched;
    if (me == 0) {
      // Leading; watch our own node so its deletion is noticed.
      watched = client_->Exists(node, waker_->MakeWatcher());
      if (watched.ok() && watched->has_value()) SetLeader(true);
    } else {
      SetLeader(false);
      watched = client_->Exists(JoinPath(dir_, (*all)[me - 1].name), waker_->MakeWatcher());
      if (watched.ok() && !watched->has_value()) continue;
    }
    waker_->WaitChange(seen, absl::InfiniteFuture());
  }
  SetLeader(false);
  if (!node.empty()) client_->Delete(node).IgnoreError();
}

absl::StatusOr<std::string> LeaderElection::CurrentLeader() {
  absl::StatusOr<std::vector<Contender>> all = SortedContenders(*client_, dir_);
  if (!all.ok()) return all.status();
  if (all->empty()) return ZkError(proto::NO_NODE, dir_ + " has no candidates");
  absl::StatusOr<DataResult> data = client_->GetData(JoinPath(dir_, (*all)[0].name));
  if (!data.ok()) return data.status();
  return data->data;
}

}  // namespace zk::recipes
