// Starting and reaping helper processes (the recipe examples) for the
// multi-process recipe tests. Every process is waited for with a bound and
// killed by its PID if it overstays.
#ifndef ZABKEEPER_TESTS_INTEGRATION_CLIENT_PROCESS_UTIL_H_
#define ZABKEEPER_TESTS_INTEGRATION_CLIENT_PROCESS_UTIL_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "gtest/gtest.h"

namespace zk::testing {

inline pid_t Spawn(const std::vector<std::string>& argv, const std::string& output_file) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::fopen(output_file.c_str(), "a");
    if (f != nullptr) {
      dup2(fileno(f), 1);
      dup2(fileno(f), 2);
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// Waits up to `timeout` for `pid`; kills it (SIGKILL) after that. Returns the
// exit code, or -1 if it had to be killed or died of a signal.
inline int WaitOrKill(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

inline std::vector<std::vector<std::string>> ReadRecords(const std::string& path) {
  std::vector<std::vector<std::string>> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::vector<std::string> record;
    std::string w;
    while (words >> w) record.push_back(w);
    if (!record.empty()) out.push_back(std::move(record));
  }
  return out;
}

// A numeric field of a record; a field that is not a number fails the test.
inline int64_t ToInt(const std::string& s) {
  int64_t v = 0;
  EXPECT_TRUE(absl::SimpleAtoi(s, &v)) << s;
  return v;
}

}  // namespace zk::testing

#endif  // ZABKEEPER_TESTS_INTEGRATION_CLIENT_PROCESS_UTIL_H_
