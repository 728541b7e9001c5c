// Child processes of zkchaos (servers and workers), tracked so that they are
// all gone when zkchaos ends, by any path: normal return, exception, or
// SIGINT/SIGTERM/SIGHUP (the signal handler kills every registered PID with
// SIGKILL and runs the registered emergency cleanup, then exits).
// Only processes zkchaos started are ever signalled, always by PID.
#ifndef ZABKEEPER_TESTS_CHAOS_PROCESS_H_
#define ZABKEEPER_TESTS_CHAOS_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace zabkeeper::chaos {

struct SpawnOptions {
  std::string log_path;          // stdout+stderr appended here ("" = inherit)
  std::string netns_path;        // "/var/run/netns/<name>": setns before exec ("" = stay)
  std::vector<std::string> env;  // extra "NAME=value" entries
};

// fork + exec argv[0]; the PID is registered for cleanup. -1 on failure.
pid_t Spawn(const std::vector<std::string>& argv, const SpawnOptions& options);

// Waits up to `timeout` for `pid` to exit; returns its wait status, or nullopt
// if it is still running. Unregisters it once reaped. A pid <= 0 (a failed
// Spawn) gives -1 at once.
std::optional<int> WaitFor(pid_t pid, std::chrono::milliseconds timeout);

// SIGKILL (SIGCONT first, in case it is stopped) and reap.
void KillAndReap(pid_t pid);

// Installs the SIGINT/SIGTERM/SIGHUP handler. `emergency_argv`, if non-empty,
// is a command the handler runs (fork+exec, waited for) before exiting, e.g.
// the namespace teardown script; it is prepared here so the handler only
// makes async-signal-safe calls.
void InstallSignalCleanup(const std::vector<std::string>& emergency_argv);

// Runs a command to completion (bounded by `timeout`, then killed); returns
// its exit code, or -1. Output is appended to `log_path` if given.
int RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
               const std::string& log_path = "");

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_PROCESS_H_
