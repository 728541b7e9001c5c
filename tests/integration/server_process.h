// ServerProcess: runs a real zabkeeper-server process for integration tests,
// on 127.0.0.1 only, with its own config and data dir. Header-only so any
// test target can use it. Stops only the process it started, by PID.
//
//   ServerProcess server(dir);        // picks free ports, writes zoo.cfg
//   server.Start();                   // waits until the client port accepts
//   server.Kill();                    // SIGKILL; Start() again restarts it
#ifndef ZABKEEPER_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define ZABKEEPER_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/free_port.h"

#ifndef ZK_SERVER_BIN
#error "define ZK_SERVER_BIN as the path of zabkeeper-server"
#endif

namespace zabkeeper::testing {

inline bool PortAccepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// A unique, empty directory under /tmp, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/zabkeeper-test-XXXXXX";
    char* dir = mkdtemp(templ);
    if (dir == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = dir;
  }
  ~TempDir() {
    if (getenv("ZK_KEEP_TEST_DIR") != nullptr) return;  // for post-mortems
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ServerProcess {
 public:
  // Extra zoo.cfg lines (key -> value) override the defaults below.
  // my_id > 0 writes <dataDir>/myid (ensemble members; see Ensemble).
  explicit ServerProcess(std::string dir, std::map<std::string, std::string> extra = {},
                         int my_id = 0)
      : dir_(std::move(dir)), client_port_(FreePort()), admin_port_(FreePort()) {
    std::filesystem::create_directories(dir_ + "/data");
    if (my_id > 0) std::ofstream(dir_ + "/data/myid") << my_id << "\n";
    std::map<std::string, std::string> cfg = {
        {"tickTime", "200"},
        {"dataDir", dir_ + "/data"},
        {"clientPort", std::to_string(client_port_)},
        {"clientPortAddress", "127.0.0.1"},
        {"admin.serverPort", std::to_string(admin_port_)},
        {"admin.serverAddress", "127.0.0.1"},
        {"minSessionTimeout", "400"},
        {"maxSessionTimeout", "30000"},
    };
    for (const auto& [k, v] : extra) cfg[k] = v;
    admin_enabled_ =
        cfg.find("admin.enableServer") == cfg.end() || cfg["admin.enableServer"] != "false";
    std::ofstream out(config_path());
    for (const auto& [k, v] : cfg) out << k << "=" << v << "\n";
  }
  ~ServerProcess() { Kill(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::string config_path() const { return dir_ + "/zoo.cfg"; }
  std::string log_path() const { return dir_ + "/server.log"; }
  std::string address() const { return "127.0.0.1:" + std::to_string(client_port_); }
  int client_port() const { return client_port_; }
  int admin_port() const { return admin_port_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // Starts the process; waits (up to timeout) until the client port accepts,
  // and the admin port too when it is on (it opens a little later: a test
  // asking it at once would see a refused connection).
  void Start(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    if (pid_ > 0) return;
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      int fd = open(log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      execl(ZK_SERVER_BIN, ZK_SERVER_BIN, config_path().c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    pid_ = pid;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("zabkeeper-server exited during start; see " + log_path());
      }
      if (PortAccepts(client_port_) && (!admin_enabled_ || PortAccepts(admin_port_))) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("zabkeeper-server did not start listening; see " + log_path());
  }

  // Sends sig and reaps the process (SIGKILL by default: a crash).
  void Kill(int sig = SIGKILL) {
    if (pid_ <= 0) return;
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  // SIGTERM: a clean shutdown. Returns the exit status.
  int Stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  void Pause() {
    if (pid_ > 0) kill(pid_, SIGSTOP);
  }
  // True (and reaped) once the process has ended by itself.
  bool Exited() {
    if (pid_ <= 0) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
    pid_ = -1;
    return true;
  }
  std::string data_dir() const { return dir_ + "/data"; }
  // Arms / disarms failpoint `name` (server/failpoints.h); the server must
  // run with ZABKEEPER_FAILPOINTS=1 in its environment.
  void ArmFailpoint(const std::string& name, bool armed) {
    std::filesystem::create_directories(data_dir() + "/failpoints");
    const std::string path = data_dir() + "/failpoints/" + name;
    if (armed) {
      std::ofstream(path) << "armed\n";
    } else {
      std::filesystem::remove(path);
    }
  }
  void Resume() {
    if (pid_ > 0) kill(pid_, SIGCONT);
  }

 private:
  std::string dir_;
  int client_port_;
  int admin_port_;
  bool admin_enabled_ = true;
  pid_t pid_ = -1;
};

}  // namespace zabkeeper::testing

#endif  // ZABKEEPER_TESTS_INTEGRATION_SERVER_PROCESS_H_
