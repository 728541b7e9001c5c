#include "tests/chaos/process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace zabkeeper::chaos {
namespace {

// Registered PIDs; the signal handler reads it, so fixed-size and atomic.
constexpr int kMaxChildren = 256;
std::atomic<pid_t> g_children[kMaxChildren];

// The emergency command, as a NULL-terminated argv built before any signal.
std::vector<std::string>* g_emergency_storage = nullptr;
std::vector<char*>* g_emergency_argv = nullptr;

void Register(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t expected = 0;
    if (slot.compare_exchange_strong(expected, pid)) return;
  }
}

void Unregister(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

void OnSignal(int sig) {
  for (auto& slot : g_children) {
    pid_t pid = slot.load();
    if (pid > 0) {
      kill(pid, SIGKILL);
      kill(pid, SIGCONT);
    }
  }
  if (g_emergency_argv != nullptr) {
    pid_t pid = fork();
    if (pid == 0) {
      execv((*g_emergency_argv)[0], g_emergency_argv->data());
      _exit(127);
    }
    if (pid > 0) {
      int status = 0;
      waitpid(pid, &status, 0);
    }
  }
  _exit(128 + sig);
}

}  // namespace

pid_t Spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Opened before fork so the child only calls async-signal-safe functions.
  int netns_fd = -1;
  if (!options.netns_path.empty()) {
    netns_fd = open(options.netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (netns_fd < 0) return -1;
  }
  int log_fd = -1;
  if (!options.log_path.empty()) {
    log_fd = open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
  pid_t pid = fork();
  if (pid == 0) {
    // Own process group: a terminal's ^C reaches zkchaos only, which then
    // cleans up in order.
    setpgid(0, 0);
    if (log_fd >= 0) {
      dup2(log_fd, 1);
      dup2(log_fd, 2);
    }
    if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) != 0) _exit(126);
    for (const std::string& e : options.env) putenv(const_cast<char*>(e.c_str()));
    execv(args[0], args.data());
    _exit(127);
  }
  if (netns_fd >= 0) close(netns_fd);
  if (log_fd >= 0) close(log_fd);
  if (pid > 0) Register(pid);
  return pid;
}

std::optional<int> WaitFor(pid_t pid, std::chrono::milliseconds timeout) {
  // Never waitpid(-1 or 0, ...): that would reap any child, e.g. a server.
  if (pid <= 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) {
      Unregister(pid);
      return r == pid ? status : -1;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void KillAndReap(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGKILL);
  kill(pid, SIGCONT);
  int status = 0;
  waitpid(pid, &status, 0);
  Unregister(pid);
}

void InstallSignalCleanup(const std::vector<std::string>& emergency_argv) {
  if (!emergency_argv.empty()) {
    // Built completely before it is published to the handler (never freed:
    // the handler may run at any time until exit).
    auto* storage = new std::vector<std::string>(emergency_argv);
    auto* argv = new std::vector<char*>();
    for (std::string& a : *storage) argv->push_back(a.data());
    argv->push_back(nullptr);
    g_emergency_storage = storage;
    g_emergency_argv = argv;
  }
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

int RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
               const std::string& log_path) {
  SpawnOptions options;
  options.log_path = log_path.empty() ? "/dev/null" : log_path;
  pid_t pid = Spawn(argv, options);
  if (pid < 0) return -1;
  std::optional<int> status = WaitFor(pid, timeout);
  if (!status) {
    KillAndReap(pid);
    return -1;
  }
  return WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

}  // namespace zabkeeper::chaos
