// Session state transitions, reattach and watch re-registration against the
// in-process fake server.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "client/session.h"
#include "client/zk_client.h"
#include "gtest/gtest.h"
#include "tests/unit/client/fake_server.h"
#include "tests/unit/client/test_util.h"

namespace zk {
namespace {

using testing::Contains;
using testing::FakeZkServer;
using testing::Recorder;
using testing::RecordInto;

std::unique_ptr<ZkClient> MakeClient(const std::string& connect, Recorder<SessionState>* states,
                                     absl::Duration timeout = absl::Seconds(3)) {
  ClientOptions options;
  options.connect_string = connect;
  options.session_timeout = timeout;
  options.state_listener = [states](SessionState s) { states->Add(s); };
  auto c = ZkClient::Create(options);
  EXPECT_TRUE(c.ok());
  EXPECT_TRUE((*c)->WaitConnected(absl::Seconds(5)).ok());
  return *std::move(c);
}

auto Has(SessionState s) {
  return [s](const std::vector<SessionState>& v) { return Contains(v, s); };
}

TEST(ClientSession, ServerRestart_SuspendsThenReattachesSameSession) {
  FakeZkServer server;
  Recorder<SessionState> states;
  auto client = MakeClient(server.connect_string(), &states);
  const int64_t id = client->session_id();
  EXPECT_NE(id, 0);
  server.Stop();
  ASSERT_TRUE(states.WaitFor(Has(SessionState::kSuspended)));
  EXPECT_EQ(client->state(), SessionState::kSuspended);
  server.Restart();
  ASSERT_TRUE(client->WaitConnected(absl::Seconds(5)).ok());
  EXPECT_EQ(client->session_id(), id);
  ASSERT_TRUE(states.WaitCount(3));  // listeners run on the callback thread
  EXPECT_EQ(states.items(),
            (std::vector<SessionState>{SessionState::kConnected, SessionState::kSuspended,
                                       SessionState::kConnected}));
  EXPECT_TRUE(client->Create("/after").ok());
}

TEST(ClientSession, ServerOfSessionKilled_MovesToAnotherServer) {
  FakeZkServer server(/*num_ports=*/3);
  Recorder<SessionState> states;
  auto client = MakeClient(server.connect_string(), &states);
  ASSERT_TRUE(client->Create("/e", "", CreateOptions::Mode(proto::EPHEMERAL)).ok());
  const std::string first = client->current_server();
  const int64_t id = client->session_id();
  for (int i = 0; i < 3; ++i) {
    if (server.address(i) == first) server.Stop(i);
  }
  ASSERT_TRUE(states.WaitCount(3));
  ASSERT_TRUE(client->WaitConnected(absl::Seconds(5)).ok());
  EXPECT_NE(client->current_server(), first);
  EXPECT_EQ(client->session_id(), id);
  EXPECT_TRUE(server.NodeExists("/e"));
}

TEST(ClientSession, WatchSetBeforeDisconnect_FiresForChangeMissedWhileAway) {
  FakeZkServer server;
  Recorder<SessionState> states;
  auto client = MakeClient(server.connect_string(), &states);
  ASSERT_TRUE(client->Create("/cfg", "v1").ok());
  ASSERT_TRUE(client->Create("/dir").ok());
  Recorder<WatchedEvent> events;
  ASSERT_TRUE(client->GetData("/cfg", RecordInto(&events)).ok());
  ASSERT_TRUE(client->GetChildren("/dir", RecordInto(&events)).ok());
  ASSERT_TRUE(client->Exists("/later", RecordInto(&events)).ok());
  server.Stop();
  ASSERT_TRUE(states.WaitFor(Has(SessionState::kSuspended)));
  server.SetDataDirect("/cfg", "v2");  // nobody is connected to see it
  server.Restart();
  ASSERT_TRUE(events.WaitCount(1)) << "missed event not delivered after reattach";
  EXPECT_EQ(events.items()[0].type, proto::NODE_DATA_CHANGED);
  EXPECT_EQ(events.items()[0].path, "/cfg");
  // The other watches were re-registered and still work.
  ASSERT_TRUE(client->Create("/dir/x").ok());
  ASSERT_TRUE(client->Create("/later").ok());
  ASSERT_TRUE(events.WaitCount(3));
}

TEST(ClientSession, RequestsDuringOutage_InFlightFailQueuedWaitForReattach) {
  FakeZkServer server;
  Recorder<SessionState> states;
  auto client = MakeClient(server.connect_string(), &states);
  server.Stop();
  ASSERT_TRUE(states.WaitFor(Has(SessionState::kSuspended)));
  std::promise<absl::Status> queued;
  client->CreateAsync("/queued", "", {},
                      [&](absl::StatusOr<CreateResult> r) { queued.set_value(r.status()); });
  server.Restart();
  auto f = queued.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_TRUE(f.get().ok());
  EXPECT_TRUE(server.NodeExists("/queued"));
}

TEST(ClientSession, ServerExpiresSession_StateLostAndEverythingFails) {
  FakeZkServer server;
  Recorder<SessionState> states;
  auto client = MakeClient(server.connect_string(), &states);
  Recorder<WatchedEvent> events;
  ASSERT_TRUE(client->Exists("/never", RecordInto(&events)).ok());
  server.ExpireSession(client->session_id());
  ASSERT_TRUE(states.WaitFor(Has(SessionState::kLost)));
  ASSERT_TRUE(events.WaitCount(1));
  EXPECT_EQ(events.items()[0].type, proto::NONE);
  EXPECT_EQ(events.items()[0].state, SessionState::kLost);
  EXPECT_TRUE(IsSessionExpired(client->GetData("/").status()));
  EXPECT_TRUE(IsSessionExpired(client->WaitConnected(absl::Seconds(1))));
}

TEST(ClientSession, ServersDownPastSessionTimeout_ClientDeclaresLost) {
  FakeZkServer server;
  Recorder<SessionState> states;
  auto client = MakeClient(server.connect_string(), &states, absl::Seconds(1));
  server.Stop();
  ASSERT_TRUE(states.WaitFor(Has(SessionState::kLost), absl::Seconds(5)));
  EXPECT_EQ(client->state(), SessionState::kLost);
}

TEST(ClientSession, ReattachBySessionIdAndPassword_KeepsEphemerals) {
  FakeZkServer server;
  Recorder<SessionState> states;
  auto first = MakeClient(server.connect_string(), &states);
  ASSERT_TRUE(first->Create("/mine", "", CreateOptions::Mode(proto::EPHEMERAL)).ok());
  ClientOptions options;
  options.connect_string = server.connect_string();
  options.session_id = first->session_id();
  options.session_password = first->session_password();
  first.reset();  // no close
  auto second = ZkClient::Create(options);
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE((*second)->WaitConnected(absl::Seconds(5)).ok());
  EXPECT_EQ((*second)->session_id(), options.session_id);
  auto eph = (*second)->GetEphemerals("/");
  ASSERT_TRUE(eph.ok());
  EXPECT_EQ(*eph, std::vector<std::string>{"/mine"});
  ASSERT_TRUE((*second)->Close().ok());
  EXPECT_FALSE(server.NodeExists("/mine"));
}

TEST(ClientSession, WrongPassword_IsLost) {
  FakeZkServer server;
  Recorder<SessionState> states;
  auto first = MakeClient(server.connect_string(), &states);
  ClientOptions options;
  options.connect_string = server.connect_string();
  options.session_id = first->session_id();
  options.session_password = "wrong";
  auto second = ZkClient::Create(options);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(IsSessionExpired((*second)->WaitConnected(absl::Seconds(5))));
  EXPECT_EQ((*second)->state(), SessionState::kLost);
}

TEST(ClientSession, Close_IsIdempotentAndReportsClosed) {
  FakeZkServer server;
  Recorder<SessionState> states;
  auto client = MakeClient(server.connect_string(), &states);
  EXPECT_TRUE(client->Close().ok());
  EXPECT_TRUE(client->Close().ok());
  ASSERT_TRUE(states.WaitFor(Has(SessionState::kClosed)));
  EXPECT_EQ(server.session_count(), 0u);
}

TEST(ClientSession, NoServer_StaysConnectingUntilOneAppears) {
  ClientOptions options;
  options.connect_string = "127.0.0.1:1";  // nothing listens there
  auto client = ZkClient::Create(options);
  ASSERT_TRUE(client.ok());
  absl::Status s = (*client)->WaitConnected(absl::Milliseconds(700));
  EXPECT_TRUE(IsConnectionLoss(s)) << s;
  EXPECT_EQ((*client)->state(), SessionState::kConnecting);
}

std::vector<std::string> ThreadNames() {
  std::vector<std::string> names;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    names.push_back(name);
  }
  return names;
}

TEST(ClientSession, Threads_AreNamedByTheirJob) {
  // top -H and perf tell the client's threads apart: the stream's I/O, the
  // user callbacks and the connector.
  FakeZkServer server;
  Recorder<SessionState> states;
  auto client = MakeClient(server.connect_string(), &states);
  const std::vector<std::string> names = ThreadNames();
  for (const char* name : {"zkc-io", "zkc-events", "zkc-connect"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
}

// A TCP port on 127.0.0.1 that accepts connections and never says a word:
// a hung server, as a client sees it.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, 50) != 1) continue;
        const int conn = accept(fd_, nullptr, nullptr);
        if (conn < 0) continue;
        accepted_.push_back(conn);  // held open, unread, until the end
        ++accepts_;
      }
    });
  }
  ~SilentListener() {
    stop_ = true;
    thread_.join();
    for (int conn : accepted_) close(conn);
    close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int accepts() const { return accepts_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepts_{0};
  std::vector<int> accepted_;  // the accept thread's
  std::thread thread_;
};

TEST(ClientSession, SilentServer_AttemptIsAbandonedAndRetried) {
  // Each attempt gives up after its connect deadline (1 s here) with its
  // first read still pending: the stream must end cleanly (gRPC refuses a
  // Finish beside a pending first read) and the next attempt start.
  SilentListener silent;
  ClientOptions options;
  options.connect_string = silent.address();
  options.session_timeout = absl::Seconds(1);
  auto client = ZkClient::Create(options);
  ASSERT_TRUE(client.ok());
  for (int i = 0; i < 200 && silent.accepts() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GE(silent.accepts(), 2) << "the first attempt was never abandoned";
  EXPECT_EQ((*client)->state(), SessionState::kConnecting);
  client->reset();  // torn down in the middle of an attempt
}

}  // namespace
}  // namespace zk
