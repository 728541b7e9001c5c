#include "client/recipes/config_watch.h"

#include <algorithm>

#include "client/paths.h"

namespace zk::recipes {

ConfigWatch::ConfigWatch(ZkClient* client, std::string path, Options options,
                         std::function<void(const ConfigSnapshot&)> on_value)
    : client_(client), path_(std::move(path)), options_(options), on_value_(std::move(on_value)) {}

ConfigWatch::~ConfigWatch() { Stop(); }

void ConfigWatch::Start() {
  if (thread_.joinable()) return;
  std::weak_ptr<Waker> waker = waker_;
  listener_id_ = client_->AddStateListener([waker](SessionState) {
    if (auto w = waker.lock()) w->Wake();
  });
  thread_ = std::thread([this] { Run(); });
}

void ConfigWatch::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  waker_->Wake();
  thread_.join();
  client_->RemoveStateListener(listener_id_);
}

Watcher ConfigWatch::Arm(std::map<std::string, bool>* armed, const std::string& path) {
  std::lock_guard<std::mutex> lock(*armed_mu_);
  if ((*armed)[path]) return nullptr;  // one registration at a time per path
  (*armed)[path] = true;
  std::weak_ptr<Waker> waker = waker_;
  std::shared_ptr<std::mutex> mu = armed_mu_;
  std::shared_ptr<std::map<std::string, bool>> table =
      armed == data_armed_.get() ? data_armed_ : child_armed_;
  return [waker, mu, table, path](const WatchedEvent&) {
    {
      std::lock_guard<std::mutex> lock(*mu);
      (*table)[path] = false;
    }
    if (auto w = waker.lock()) w->Wake();
  };
}

bool ConfigWatch::ReadChildren(const std::string& path, const std::string& rel,
                               ConfigSnapshot* out) {
  Watcher w = Arm(child_armed_.get(), path);
  const bool armed_now = w != nullptr;
  absl::StatusOr<ChildrenResult> kids = client_->GetChildren(path, std::move(w));
  if (!kids.ok()) {
    if (armed_now) {
      std::lock_guard<std::mutex> lock(*armed_mu_);
      (*child_armed_)[path] = false;
    }
    return IsNoNode(kids.status());  // vanished meanwhile: the watch on it fires
  }
  out->zxid = std::max(out->zxid, kids->stat.pzxid());
  for (const std::string& name : kids->children) {
    const std::string child = JoinPath(path, name);
    const std::string child_rel = rel.empty() ? name : rel + "/" + name;
    Watcher dw = Arm(data_armed_.get(), child);
    const bool data_armed_now = dw != nullptr;
    absl::StatusOr<DataResult> data = client_->GetData(child, std::move(dw));
    if (!data.ok()) {
      if (data_armed_now) {
        std::lock_guard<std::mutex> lock(*armed_mu_);
        (*data_armed_)[child] = false;
      }
      if (IsNoNode(data.status())) continue;
      return false;
    }
    out->subtree[child_rel] = data->data;
    out->zxid = std::max({out->zxid, data->stat.mzxid(), data->stat.czxid()});
    if (!ReadChildren(child, child_rel, out)) return false;
  }
  return true;
}

bool ConfigWatch::Read(ConfigSnapshot* out) {
  Watcher w = Arm(data_armed_.get(), path_);
  const bool armed_now = w != nullptr;
  // getData on a missing node sets no watch: use exists() then.
  absl::StatusOr<DataResult> data = client_->GetData(path_, w);
  if (IsNoNode(data.status())) {
    absl::StatusOr<std::optional<Stat>> st = client_->Exists(path_, armed_now ? w : nullptr);
    if (!st.ok()) return false;
    if (st->has_value()) return false;  // created in between: read again
    out->data.reset();
    out->zxid = std::max(out->zxid, client_->last_zxid());
    return true;
  }
  if (!data.ok()) {
    if (armed_now) {
      std::lock_guard<std::mutex> lock(*armed_mu_);
      (*data_armed_)[path_] = false;
    }
    return false;
  }
  out->data = data->data;
  out->stat = data->stat;
  out->zxid = std::max(data->stat.mzxid(), data->stat.czxid());
  if (options_.watch_subtree) return ReadChildren(path_, "", out);
  return true;
}

void ConfigWatch::Run() {
  while (!stop_) {
    const uint64_t seen = waker_->generation();
    const SessionState state = client_->state();
    if (state == SessionState::kLost || state == SessionState::kClosed) return;
    if (state == SessionState::kConnected || state == SessionState::kAuthFailed) {
      ConfigSnapshot snap;
      if (Read(&snap)) {
        if (snap.zxid > delivered_zxid_.load()) {
          delivered_zxid_ = snap.zxid;
          on_value_(snap);
        }
      } else {
        // Retry soon: a retryable error or a race with a create/delete.
        waker_->WaitChange(seen, absl::Now() + absl::Milliseconds(100));
        continue;
      }
    }
    waker_->WaitChange(seen, absl::Now() + absl::Seconds(5));
  }
}

}  // namespace zk::recipes
