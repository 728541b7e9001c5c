// The etcd driver: etcd 3.4's v3 gRPC API (etcd/rpc.proto, our wire-compatible
// subset) with gRPC's callback API. A session is one channel to one member
// plus one lease (its ephemerals). Members are handed to sessions round-robin,
// so sessions spread over the cluster as the other drivers' do.
//
// ZooKeeper operations as etcd requests (etcd has a flat key space; a znode
// path is used as the key unchanged):
//   create       Txn(create_revision(key) == 0 ? Put : nothing); false ->
//                NodeExists. Ephemeral: the Put carries the session's lease.
//                Unlike ZooKeeper, a missing parent is not checked.
//   setData      plain Put. ZooKeeper fails a setData on a missing node; a
//                Txn guarding version(key) > 0 would too, but costs a compare
//                per write, so every system pays one plain write per op here.
//   getData      Range(key); count == 0 -> NoNode. With a watch: a Watch from
//                the read's revision + 1 (no change between the read and the
//                watch is missed), fired at its first event, then cancelled.
//                getData completes when the watch is created, as ZooKeeper's
//                does when the watch is registered.
//   exists       Range(key, count_only); count == 0 -> NoNode.
//   getChildren  Range over the prefix "path/", keys_only: the closest etcd
//                has to a directory (it also lists deeper descendants).
//   delete       DeleteRange(key); deleted == 0 -> NoNode.
// Reads are serializable (served from the member's own state, as ZooKeeper
// serves reads from the server a client is connected to) unless the driver is
// made with linearizable_reads (etcd's default: a ReadIndex round per read).
//
// Every completion and watch callback of a session runs under the session's
// callback mutex, so they run one at a time as driver.h promises; they may
// issue further requests.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "zkbench/etcd/rpc.grpc.pb.h"
#include "tests/bench/zkbench/driver.h"

namespace zkbench {
namespace {

namespace pb = etcdserverpb;

// ZooKeeper codes for failures that are not an answer to the operation.
constexpr int kSystemError = -1;       // ZSYSTEMERROR: etcd refused the request
constexpr int kConnectionLoss = -4;    // ZCONNECTIONLOSS: the channel failed
constexpr int kOperationTimeout = -7;  // ZOPERATIONTIMEOUT: no answer in kCallTimeout

// A session's lease outlives its run by far; it is renewed every third of it.
constexpr int64_t kLeaseTtlS = 60;
// Bounds every unary call, so Close (which waits for them) cannot hang.
constexpr auto kCallTimeout = std::chrono::seconds(30);
constexpr auto kConnectTimeout = std::chrono::seconds(15);

std::chrono::system_clock::time_point DeadlineIn(std::chrono::seconds d) {
  return std::chrono::system_clock::now() + d;
}

int CodeOf(const grpc::Status& s) {
  if (s.ok()) return kOk;
  // The first few failures are printed: etcd's reason ("etcdserver: too many
  // requests", ...) has no ZooKeeper code.
  static std::atomic<int> printed{0};
  if (printed.fetch_add(1) < 5) {
    std::fprintf(stderr, "zkbench etcd: rpc failed: %d %s\n", static_cast<int>(s.error_code()),
                 s.error_message().c_str());
  }
  switch (s.error_code()) {
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kOperationTimeout;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::CANCELLED:
      return kConnectionLoss;
    default:
      return kSystemError;
  }
}

// The end of etcd's range of keys with `prefix`: the prefix with its last byte
// incremented (prefixes here end in '/', never in 0xff).
std::string PrefixEnd(std::string prefix) {
  prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

// One Watch stream per session, created at its first watch; watchers are
// multiplexed on it. etcd answers create requests in the order they were
// sent (created = true, with the watcher's id), so pending creates are a FIFO.
class WatchStream : public grpc::ClientBidiReactor<pb::WatchRequest, pb::WatchResponse> {
 public:
  WatchStream(pb::Watch::Stub* stub, std::recursive_mutex* callback_mu)
      : callback_mu_(callback_mu) {
    stub->async()->Watch(&ctx_, this);
    StartRead(&response_);
    StartCall();
  }

  // Watches `key` from `start_revision`; `done` runs when the watcher exists
  // (or failed), `fired` at its first event.
  void Create(const std::string& key, int64_t start_revision, WatchFired fired, Done done) {
    pb::WatchRequest request;
    auto* create = request.mutable_create_request();
    create->set_key(key);
    create->set_start_revision(start_revision);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!ended_) {
        creating_.push_back({std::move(fired), std::move(done)});
        SendLocked(std::move(request));
        return;
      }
    }
    std::lock_guard<std::recursive_mutex> lock(*callback_mu_);
    done(kConnectionLoss);
  }

  // Ends the stream and waits until gRPC is done with it.
  void Shutdown() {
    ctx_.TryCancel();
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return done_; });
  }

  void OnReadDone(bool ok) override {
    std::vector<Done> created;
    std::vector<std::pair<Done, int>> failed;
    std::vector<WatchFired> fired;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!ok) {
        ended_ = true;
        return;  // OnDone follows
      }
      const pb::WatchResponse& r = response_;
      if (r.created()) {
        if (!creating_.empty()) {
          Pending p = std::move(creating_.front());
          creating_.pop_front();
          if (r.canceled()) {
            failed.emplace_back(std::move(p.done), kSystemError);
          } else {
            active_[r.watch_id()] = std::move(p.fired);
            created.push_back(std::move(p.done));
          }
        }
      } else if (r.events_size() > 0) {
        auto it = active_.find(r.watch_id());
        if (it != active_.end()) {  // else: an event racing our cancel
          fired.push_back(std::move(it->second));
          active_.erase(it);
          pb::WatchRequest cancel;
          cancel.mutable_cancel_request()->set_watch_id(r.watch_id());
          SendLocked(std::move(cancel));
        }
      }
    }
    {
      std::lock_guard<std::recursive_mutex> lock(*callback_mu_);
      for (auto& d : created) d(kOk);
      for (auto& [d, err] : failed) d(err);
      for (auto& f : fired) f();
    }
    StartRead(&response_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (!ok) {
      ended_ = true;
      outbox_.clear();
      return;
    }
    WriteNextLocked();
  }

  void OnDone(const grpc::Status&) override {
    std::deque<Pending> creating;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ended_ = true;
      creating.swap(creating_);
      active_.clear();
    }
    {
      std::lock_guard<std::recursive_mutex> lock(*callback_mu_);
      for (auto& p : creating) p.done(kConnectionLoss);
    }
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    done_cv_.notify_all();
  }

 private:
  struct Pending {
    WatchFired fired;
    Done done;
  };

  // gRPC allows one write in flight per stream; the rest wait in outbox_
  // (at most one create and one cancel per watcher of this session).
  void SendLocked(pb::WatchRequest request) {
    if (ended_) return;
    outbox_.push_back(std::move(request));
    WriteNextLocked();
  }
  void WriteNextLocked() {
    if (writing_ || outbox_.empty() || ended_) return;
    in_write_ = std::move(outbox_.front());
    outbox_.pop_front();
    writing_ = true;
    StartWrite(&in_write_);
  }

  std::recursive_mutex* callback_mu_;
  grpc::ClientContext ctx_;
  pb::WatchResponse response_;  // owned by the pending read
  std::mutex mu_;
  std::condition_variable done_cv_;
  bool ended_ = false;  // the stream failed or is being cancelled: start nothing
  bool done_ = false;   // OnDone ran
  bool writing_ = false;
  pb::WatchRequest in_write_;  // owned by the pending write
  std::deque<pb::WatchRequest> outbox_;
  std::deque<Pending> creating_;
  std::unordered_map<int64_t, WatchFired> active_;  // watch id -> callback
};

class EtcdSession : public Session {
 public:
  EtcdSession(std::shared_ptr<grpc::Channel> channel, bool linearizable_reads)
      : channel_(std::move(channel)),
        kv_(pb::KV::NewStub(channel_)),
        watch_stub_(pb::Watch::NewStub(channel_)),
        lease_stub_(pb::Lease::NewStub(channel_)),
        serializable_(!linearizable_reads) {}
  ~EtcdSession() override { Close(); }

  // Grants the session's lease and starts renewing it.
  absl::Status Start() {
    grpc::ClientContext ctx;
    ctx.set_deadline(DeadlineIn(kConnectTimeout));
    pb::LeaseGrantRequest request;
    request.set_ttl(kLeaseTtlS);
    pb::LeaseGrantResponse response;
    grpc::Status s = lease_stub_->LeaseGrant(&ctx, request, &response);
    if (!s.ok()) return absl::UnavailableError(absl::StrCat("LeaseGrant: ", s.error_message()));
    if (!response.error().empty()) {
      return absl::UnavailableError(absl::StrCat("LeaseGrant: ", response.error()));
    }
    lease_ = response.id();
    keepalive_ = std::thread([this] { KeepAlive(); });
    return absl::OkStatus();
  }

  void Create(const std::string& path, const std::string& data, bool ephemeral,
              Done done) override {
    pb::TxnRequest txn;
    auto* cmp = txn.add_compare();
    cmp->set_result(pb::Compare::EQUAL);
    cmp->set_target(pb::Compare::CREATE);
    cmp->set_key(path);
    cmp->set_create_revision(0);  // the key does not exist
    auto* put = txn.add_success()->mutable_request_put();
    put->set_key(path);
    put->set_value(data);
    if (ephemeral) put->set_lease(lease_);
    Unary<pb::TxnRequest, pb::TxnResponse>(
        std::move(txn),
        [this](auto* ctx, auto* req, auto* resp, auto cb) {
          kv_->async()->Txn(ctx, req, resp, std::move(cb));
        },
        [done = std::move(done)](const grpc::Status& s, const pb::TxnResponse& r) {
          if (!s.ok()) return done(CodeOf(s));
          done(r.succeeded() ? kOk : kNodeExists);
        });
  }

  void Delete(const std::string& path, Done done) override {
    pb::DeleteRangeRequest request;
    request.set_key(path);
    Unary<pb::DeleteRangeRequest, pb::DeleteRangeResponse>(
        std::move(request),
        [this](auto* ctx, auto* req, auto* resp, auto cb) {
          kv_->async()->DeleteRange(ctx, req, resp, std::move(cb));
        },
        [done = std::move(done)](const grpc::Status& s, const pb::DeleteRangeResponse& r) {
          if (!s.ok()) return done(CodeOf(s));
          done(r.deleted() == 0 ? kNoNode : kOk);
        });
  }

  void SetData(const std::string& path, const std::string& data, Done done) override {
    pb::PutRequest request;  // plain Put: see the file comment
    request.set_key(path);
    request.set_value(data);
    Unary<pb::PutRequest, pb::PutResponse>(
        std::move(request),
        [this](auto* ctx, auto* req, auto* resp, auto cb) {
          kv_->async()->Put(ctx, req, resp, std::move(cb));
        },
        [done = std::move(done)](const grpc::Status& s, const pb::PutResponse&) {
          done(CodeOf(s));
        });
  }

  void GetData(const std::string& path, WatchFired watch, Done done) override {
    Range(path, "", /*count_only=*/false, /*keys_only=*/false,
          [this, path, watch = std::move(watch), done = std::move(done)](
              const grpc::Status& s, const pb::RangeResponse& r) mutable {
            if (!s.ok()) return done(CodeOf(s));
            if (r.count() == 0) return done(kNoNode);
            if (!watch) return done(kOk);
            Watcher()->Create(path, r.header().revision() + 1, std::move(watch), std::move(done));
          });
  }

  void Exists(const std::string& path, Done done) override {
    Range(path, "", /*count_only=*/true, /*keys_only=*/false,
          [done = std::move(done)](const grpc::Status& s, const pb::RangeResponse& r) {
            if (!s.ok()) return done(CodeOf(s));
            done(r.count() == 0 ? kNoNode : kOk);
          });
  }

  void GetChildren(const std::string& path, Done done) override {
    std::string prefix = path + "/";
    Range(prefix, PrefixEnd(prefix), /*count_only=*/false, /*keys_only=*/true,
          [done = std::move(done)](const grpc::Status& s, const pb::RangeResponse&) {
            done(CodeOf(s));
          });
  }

  // Waits for the calls in flight (each bounded by kCallTimeout), ends the
  // watch stream, then revokes the lease, which deletes the session's
  // ephemerals as closing a ZooKeeper session does.
  void Close() override {
    if (closed_.exchange(true)) return;
    {
      std::unique_lock<std::mutex> lock(inflight_mu_);
      inflight_cv_.wait(lock, [&] { return inflight_ == 0; });
    }
    std::unique_ptr<WatchStream> watch;
    {
      std::lock_guard<std::recursive_mutex> lock(callback_mu_);
      watch = std::move(watch_);
    }
    if (watch != nullptr) watch->Shutdown();
    if (keepalive_.joinable()) {
      {
        std::lock_guard<std::mutex> lock(keepalive_mu_);
        stop_keepalive_ = true;
      }
      keepalive_cv_.notify_all();
      keepalive_.join();
    }
    if (lease_ != 0) {
      grpc::ClientContext ctx;
      ctx.set_deadline(DeadlineIn(std::chrono::seconds(5)));
      pb::LeaseRevokeRequest request;
      request.set_id(lease_);
      pb::LeaseRevokeResponse response;
      (void)lease_stub_->LeaseRevoke(&ctx, request, &response);  // else it expires in its TTL
      lease_ = 0;
    }
  }

 private:
  template <typename Req, typename Resp>
  struct Call {
    grpc::ClientContext ctx;
    Req request;
    Resp response;
  };

  // Issues one unary call. `start(ctx, request, response, callback)` calls the
  // stub; `then(status, response)` runs under the callback mutex. Requests
  // issued after Close began are dropped (no callback may follow Close).
  template <typename Req, typename Resp, typename Start, typename Then>
  void Unary(Req request, Start start, Then then) {
    if (closed_.load(std::memory_order_acquire)) return;
    {
      std::lock_guard<std::mutex> lock(inflight_mu_);
      ++inflight_;
    }
    auto* call = new Call<Req, Resp>;
    call->request = std::move(request);
    call->ctx.set_deadline(DeadlineIn(kCallTimeout));
    start(&call->ctx, &call->request, &call->response,
          [this, call, then = std::move(then)](grpc::Status s) mutable {
            {
              std::lock_guard<std::recursive_mutex> lock(callback_mu_);
              then(s, call->response);
            }
            delete call;
            std::lock_guard<std::mutex> lock(inflight_mu_);
            if (--inflight_ == 0) inflight_cv_.notify_all();
          });
  }

  template <typename Then>
  void Range(const std::string& key, const std::string& range_end, bool count_only, bool keys_only,
             Then then) {
    pb::RangeRequest request;
    request.set_key(key);
    if (!range_end.empty()) request.set_range_end(range_end);
    request.set_serializable(serializable_);
    request.set_count_only(count_only);
    request.set_keys_only(keys_only);
    Unary<pb::RangeRequest, pb::RangeResponse>(
        std::move(request),
        [this](auto* ctx, auto* req, auto* resp, auto cb) {
          kv_->async()->Range(ctx, req, resp, std::move(cb));
        },
        std::move(then));
  }

  // Called under callback_mu_, which guards watch_.
  WatchStream* Watcher() {
    if (watch_ == nullptr) watch_ = std::make_unique<WatchStream>(watch_stub_.get(), &callback_mu_);
    return watch_.get();
  }

  // Renews the lease every third of its TTL until Close. A renewal is a
  // one-message LeaseKeepAlive stream; one that fails is retried next time.
  void KeepAlive() {
    std::unique_lock<std::mutex> lock(keepalive_mu_);
    while (!keepalive_cv_.wait_for(lock, std::chrono::seconds(kLeaseTtlS / 3),
                                   [&] { return stop_keepalive_; })) {
      lock.unlock();
      grpc::ClientContext ctx;
      ctx.set_deadline(DeadlineIn(std::chrono::seconds(5)));
      auto stream = lease_stub_->LeaseKeepAlive(&ctx);
      pb::LeaseKeepAliveRequest request;
      request.set_id(lease_);
      pb::LeaseKeepAliveResponse response;
      if (stream->Write(request)) (void)stream->Read(&response);
      stream->WritesDone();
      (void)stream->Finish();
      lock.lock();
    }
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::KV::Stub> kv_;
  std::unique_ptr<pb::Watch::Stub> watch_stub_;
  std::unique_ptr<pb::Lease::Stub> lease_stub_;
  const bool serializable_;
  int64_t lease_ = 0;

  std::recursive_mutex callback_mu_;  // held while a user callback runs
  std::unique_ptr<WatchStream> watch_;

  std::atomic<bool> closed_{false};
  std::mutex inflight_mu_;
  std::condition_variable inflight_cv_;
  int64_t inflight_ = 0;  // unary calls started and not yet called back

  std::thread keepalive_;
  std::mutex keepalive_mu_;
  std::condition_variable keepalive_cv_;
  bool stop_keepalive_ = false;
};

class EtcdDriver : public Driver {
 public:
  explicit EtcdDriver(bool linearizable_reads) : linearizable_reads_(linearizable_reads) {}
  std::string name() const override { return linearizable_reads_ ? "etcd-linearizable" : "etcd"; }

  absl::StatusOr<std::unique_ptr<Session>> Connect(const std::string& hosts) override {
    std::vector<std::string> endpoints;
    for (absl::string_view h : absl::StrSplit(hosts, ',', absl::SkipWhitespace())) {
      absl::ConsumePrefix(&h, "http://");
      endpoints.emplace_back(h);
    }
    if (endpoints.empty()) return absl::InvalidArgumentError("no etcd endpoint");
    const std::string& endpoint = endpoints[next_.fetch_add(1) % endpoints.size()];
    grpc::ChannelArguments args;
    // One TCP connection per session, as with the other drivers (gRPC would
    // otherwise share one connection per member among all sessions).
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto channel = grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), args);
    if (!channel->WaitForConnected(DeadlineIn(kConnectTimeout))) {
      return absl::UnavailableError(absl::StrCat("cannot connect to etcd at ", endpoint));
    }
    auto session = std::make_unique<EtcdSession>(std::move(channel), linearizable_reads_);
    if (auto st = session->Start(); !st.ok()) return st;
    return std::unique_ptr<Session>(std::move(session));
  }

 private:
  const bool linearizable_reads_;
  std::atomic<uint64_t> next_{0};
};

}  // namespace

std::unique_ptr<Driver> NewEtcdDriver(bool linearizable_reads) {
  return std::make_unique<EtcdDriver>(linearizable_reads);
}

}  // namespace zkbench
