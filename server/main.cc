// zabkeeper-server CONFIG: runs one server from a zoo.cfg-style file.
// Exit codes: 0 after a clean shutdown (SIGTERM/SIGINT), 2 for a bad config
// or command line, 1 when the server cannot start (ports, data dir).
#include <malloc.h>

#include <csignal>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "grpcpp/grpcpp.h"
#include "server/admin_server.h"
#include "server/client_service.h"
#include "server/config.h"
#include "server/failpoints.h"
#include "server/node_runtime.h"
#include "server/tls_credentials.h"
#include "server/write_trace.h"
#include "server/zkwire/zk_front_end.h"

namespace {

int Fail(int code, const std::string& message) {
  std::cerr << "zabkeeper-server: " << message << std::endl;
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  // Every allocation of 1 MB or more gets its own mapping, returned to the OS
  // when freed. glibc's default threshold rises to 32 MB after the first big
  // free, after which RocksDB memtable blocks and SNAP buffers come from the
  // heap and a SNAP of 1M znodes left ~800 MB of RSS behind.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  if (argc != 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    return Fail(2, "usage: zabkeeper-server CONFIG (a zoo.cfg-style file)");
  }
  absl::StatusOr<zabkeeper::server::ServerConfig> config = zabkeeper::server::LoadConfig(argv[1]);
  if (!config.ok()) return Fail(2, std::string(config.status().message()));
  zabkeeper::server::failpoints::Init(config->data_dir);
  zabkeeper::server::trace::Init();

  // Block the stop signals in every thread; main waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = zabkeeper::server::NodeRuntime::Open(*config);
  if (!server.ok()) return Fail(1, std::string(server.status().message()));
  if (absl::Status s = (*server)->Start(); !s.ok()) return Fail(1, std::string(s.message()));

  zabkeeper::server::ClientService service(server->get());
  grpc::ServerBuilder builder;
  int bound_port = 0;
  const std::string address = absl::StrCat(config->client_address, ":", config->client_port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &bound_port);
  // The same API over TLS (secureClientPort); both ports may be served.
  int secure_bound_port = 0;
  const std::string secure_address =
      absl::StrCat(config->client_address, ":", config->secure_client_port);
  if (config->secure_client_port != 0) {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> tls =
        zabkeeper::server::ServerTlsCredentials(*config);
    if (!tls.ok()) return Fail(2, std::string(tls.status().message()));
    builder.AddListeningPort(secure_address, *tls, &secure_bound_port);
  }
  service.Register(&builder);
  // gRPC sets SO_REUSEPORT by default, which lets a second process (or our
  // own admin port) share the port silently; a taken port must fail instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Requests larger than the data limit must reach the server to be refused
  // with a clear error instead of a transport failure.
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(std::min<int64_t>(4 * config->max_data_bytes + (16 << 20), 1 << 30)));
  builder.SetMaxSendMessageSize(-1);
  std::unique_ptr<grpc::Server> grpc_server = builder.BuildAndStart();
  if (grpc_server == nullptr || bound_port == 0) {
    return Fail(1, absl::StrCat("cannot listen on ", address, " (port in use?)"));
  }
  if (config->secure_client_port != 0 && secure_bound_port == 0) {
    grpc_server->Shutdown();
    return Fail(1, absl::StrCat("cannot listen on ", secure_address, " (port in use?)"));
  }

  // ZooKeeper's own protocol, for existing ZooKeeper clients and tools.
  // Frames may carry a value of the data limit plus the record around it.
  zabkeeper::zkwire::ZkFrontEnd zk_front_end(
      server->get(),
      static_cast<int32_t>(
          std::min<int64_t>(config->max_data_bytes + (64 << 10), int64_t{1} << 30)),
      config->four_letter_words);
  if (!config->sasl_jaas_file.empty()) {
    absl::StatusOr<zabkeeper::zkwire::SaslUsers> users =
        zabkeeper::zkwire::LoadJaasUsers(config->sasl_jaas_file, config->sasl_login_section);
    absl::StatusOr<std::shared_ptr<zabkeeper::zkwire::SaslAuthenticator>> sasl =
        users.ok() ? zabkeeper::zkwire::SaslAuthenticator::Create(std::move(*users))
                   : users.status();
    if (!sasl.ok()) {
      grpc_server->Shutdown();
      return Fail(2, std::string(sasl.status().message()));
    }
    LOG(INFO) << "SASL DIGEST-MD5 on the ZooKeeper port: " << (*sasl)->user_count()
              << " user(s) from " << config->sasl_jaas_file;
    zk_front_end.EnableSasl(
        {std::move(*sasl), config->super_user,
         config->enforce_auth && config->enforce_auth_schemes.contains("sasl")});
  }
  if (config->zk_client_port != 0) {
    if (absl::Status s = zk_front_end.Start(config->client_address, config->zk_client_port);
        !s.ok()) {
      grpc_server->Shutdown();
      return Fail(1, std::string(s.message()));
    }
  }
  if (config->secure_zk_client_port != 0) {
    absl::StatusOr<std::unique_ptr<zabkeeper::server::TlsContextSource>> tls =
        zabkeeper::zkwire::ZkTlsContextSource(*config);
    absl::Status s = tls.ok()
                         ? zk_front_end.StartTls(config->client_address,
                                                 config->secure_zk_client_port, std::move(*tls))
                         : tls.status();
    if (!s.ok()) {
      grpc_server->Shutdown();
      return Fail(2, std::string(s.message()));
    }
  }

  zabkeeper::server::AdminServer admin(server->get());
  if (config->admin_enabled) {
    if (absl::Status s = admin.Start(config->admin_address, config->admin_port); !s.ok()) {
      grpc_server->Shutdown();
      return Fail(1, std::string(s.message()));
    }
  }
  // Streams are accepted only now: a failed start above must not leave any.
  service.Start();
  LOG(INFO) << "zabkeeper-server " << (config->standalone() ? "standalone" : "ensemble member")
            << " id " << config->my_id << ": clients on " << address << ", admin on "
            << config->admin_address << ":" << config->admin_port
            << (config->secure_client_port != 0 ? ", TLS clients on " + secure_address
                                                : std::string())
            << (config->zk_client_port != 0
                    ? absl::StrCat(", ZooKeeper protocol on ", config->client_address, ":",
                                   zk_front_end.port())
                    : std::string())
            << (config->secure_zk_client_port != 0
                    ? absl::StrCat(", ZooKeeper protocol over TLS on ", config->client_address, ":",
                                   zk_front_end.tls_port())
                    : std::string());

  int signal = 0;
  sigwait(&signals, &signal);
  LOG(INFO) << "signal " << signal << ": shutting down";
  grpc_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  zk_front_end.Stop();
  admin.Stop();
  (*server)->Stop();
  service.Stop();  // after the runtime: nothing starts a stream write any more
  server->reset();
  LOG(INFO) << "stopped";
  return 0;
}
