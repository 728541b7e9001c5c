// An in-process stand-in for zabkeeper-server, for the client's unit tests:
// one znode tree and session table served on one or more loopback ports
// ("servers" of a fake ensemble sharing the same state). It implements the
// client protocol's core (connect/reattach, CRUD, multi, watches, SetWatches
// with relative zxid, close, ephemerals) and lets tests take ports down, bring
// them back, change the tree behind the client's back and expire sessions.
// Correctness of the real server is tested elsewhere; this is deliberately
// simple (one lock, synchronous gRPC API).
#ifndef ZABKEEPER_TESTS_UNIT_CLIENT_FAKE_SERVER_H_
#define ZABKEEPER_TESTS_UNIT_CLIENT_FAKE_SERVER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "zabkeeper/client.grpc.pb.h"

namespace zk::testing {

namespace proto = ::zabkeeper::proto;

class FakeZkServer final : public proto::ZabKeeper::Service {
 public:
  explicit FakeZkServer(int num_ports = 1);
  ~FakeZkServer() override;

  std::string address(int i = 0) const { return "127.0.0.1:" + std::to_string(ports_[i]); }
  std::string connect_string() const;  // every port

  // Takes port i down (its streams end) / brings it back on the same port.
  void Stop(int i = 0);
  void Restart(int i = 0);

  // Changes data without any client (e.g. while the client is disconnected).
  void SetDataDirect(const std::string& path, const std::string& data);
  bool NodeExists(const std::string& path);
  // Forgets the session and its ephemerals (as the leader's expiry would).
  void ExpireSession(int64_t session_id);
  size_t session_count();
  int64_t requests_received();
  int64_t messages_received();

  grpc::Status Session(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<proto::ServerMessage, proto::ClientMessage>* stream) override;

 private:
  struct Node {
    std::string data;
    proto::Stat stat;
    std::set<std::string> children;
    int64_t sequence = 0;
  };
  using Stream = grpc::ServerReaderWriter<proto::ServerMessage, proto::ClientMessage>;
  struct SessionInfo {
    std::string password;
    int32_t timeout_ms = 0;
    Stream* stream = nullptr;  // attached stream, if any
    grpc::ServerContext* context = nullptr;
    std::set<std::string> data_watches, exist_watches, child_watches;
  };

  void StartPort(int i);
  proto::Response Handle(const proto::Request& req, int64_t* session_id, Stream* stream,
                         grpc::ServerContext* context, bool* close);
  proto::ErrorCode ApplyCreate(const proto::CreateRequest& c, int64_t session,
                               proto::CreateResponse* out);
  proto::ErrorCode ApplyDelete(const std::string& path, int32_t version);
  proto::ErrorCode ApplySetData(const std::string& path, const std::string& data, int32_t version,
                                proto::Stat* out);
  void Fire(const std::string& path, proto::EventType type);
  void FlushEvents();
  void SendEvent(int64_t session, const std::string& path, proto::EventType type);
  void RemoveSession(int64_t session);

  std::vector<int> ports_;
  std::vector<std::unique_ptr<grpc::Server>> servers_;
  std::mutex mu_;
  std::map<std::string, Node> tree_;
  std::map<int64_t, SessionInfo> sessions_;
  int64_t zxid_ = 0;
  int64_t next_session_ = 0x100;
  int64_t requests_ = 0;
  int64_t messages_ = 0;
  std::vector<std::pair<std::string, proto::EventType>> pending_events_;
};

}  // namespace zk::testing

#endif  // ZABKEEPER_TESTS_UNIT_CLIENT_FAKE_SERVER_H_
