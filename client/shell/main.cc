// zkcli: the interactive shell (GNU readline: line editing, history, tab
// completion of commands and znode paths; watch events printed as they
// arrive, between prompts) and the scripting front end:
//
//   zkcli -server host:port[,host:port...][/chroot] [-timeout ms]
//         [-tls-ca FILE [-tls-cert FILE -tls-key FILE]] [CMD ARGS...]
//
// With CMD it runs that one command; with stdin not a terminal it runs one
// command per line ('#' starts a comment). Results go to stdout, errors to
// stderr; the exit code is 0 only if every command succeeded.
#include <readline/history.h>
#include <readline/readline.h>
#include <sys/select.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "client/shell/shell.h"

namespace {

std::mutex g_print_mu;
void PrintTo(FILE* f, const std::string& text) {
  std::lock_guard<std::mutex> lock(g_print_mu);
  std::fwrite(text.data(), 1, text.size(), f);
  std::fflush(f);
}

// Interactive state shared with readline's C callbacks.
zk::shell::Shell* g_shell = nullptr;
bool g_done = false;
std::mutex g_async_mu;
std::deque<std::string> g_async;
int g_pipe[2] = {-1, -1};

char* CommandGenerator(const char* text, int state) {
  static size_t index;
  if (state == 0) index = 0;
  const auto& names = zk::shell::Shell::CommandNames();
  while (index < names.size()) {
    const std::string& n = names[index++];
    if (n.rfind(text, 0) == 0) return strdup(n.c_str());
  }
  return nullptr;
}

std::vector<std::string> g_path_matches;
char* PathGenerator(const char*, int state) {
  static size_t index;
  if (state == 0) index = 0;
  if (index < g_path_matches.size()) return strdup(g_path_matches[index++].c_str());
  return nullptr;
}

char** Complete(const char* text, int start, int) {
  rl_attempted_completion_over = 1;  // no filename completion
  if (start == 0) return rl_completion_matches(text, CommandGenerator);
  if (text[0] == '/') {
    g_path_matches = g_shell->CompletePath(text);
    rl_completion_append_character = '\0';
    return rl_completion_matches(text, PathGenerator);
  }
  return nullptr;
}

void OnLine(char* line) {
  if (line == nullptr) {  // EOF (Ctrl-D)
    g_done = true;
    std::printf("\n");
    return;
  }
  std::string text(line);
  std::free(line);
  if (!text.empty()) add_history(text.c_str());
  g_shell->ExecuteLine(text);
  if (g_shell->quit_requested()) {
    g_done = true;
    return;
  }
  rl_set_prompt(g_shell->Prompt().c_str());
}

void PrintAsync() {
  char buf[256];
  while (read(g_pipe[0], buf, sizeof(buf)) == static_cast<ssize_t>(sizeof(buf))) {
  }
  std::deque<std::string> items;
  {
    std::lock_guard<std::mutex> lock(g_async_mu);
    items.swap(g_async);
  }
  if (items.empty()) return;
  // Move the half-typed line out of the way, print, then restore it.
  char* saved = rl_copy_text(0, rl_end);
  const int point = rl_point;
  rl_save_prompt();
  rl_replace_line("", 0);
  rl_redisplay();
  std::printf("\r");
  for (const std::string& s : items) PrintTo(stdout, s);
  rl_restore_prompt();
  rl_set_prompt(g_shell->Prompt().c_str());
  rl_replace_line(saved, 0);
  rl_point = point;
  std::free(saved);
  rl_forced_update_display();
}

int RunInteractive(zk::shell::Shell& shell) {
  g_shell = &shell;
  rl_readline_name = "zkcli";
  rl_attempted_completion_function = Complete;
  const char* home = std::getenv("HOME");
  const std::string history_file = std::string(home ? home : ".") + "/.zkcli_history";
  read_history(history_file.c_str());
  rl_callback_handler_install(shell.Prompt().c_str(), OnLine);
  while (!g_done) {
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(0, &fds);
    FD_SET(g_pipe[0], &fds);
    if (select(g_pipe[0] + 1, &fds, nullptr, nullptr, nullptr) < 0) continue;
    if (FD_ISSET(g_pipe[0], &fds)) PrintAsync();
    if (FD_ISSET(0, &fds)) rl_callback_read_char();
  }
  rl_callback_handler_remove();
  write_history(history_file.c_str());
  return 0;
}

void Usage() {
  std::fprintf(stderr,
               "usage: zkcli -server host:port[,host:port...][/chroot] [-timeout ms]\n"
               "             [-tls-ca FILE [-tls-cert FILE -tls-key FILE]] [CMD ARGS...]\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::string server = "localhost:2281";
  long timeout_ms = 30000;
  std::vector<std::string> command;
  std::string tls_ca, tls_cert, tls_key;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (command.empty() && a == "-server" && i + 1 < argc) {
      server = argv[++i];
    } else if (command.empty() && a == "-timeout" && i + 1 < argc) {
      if (!absl::SimpleAtoi(argv[++i], &timeout_ms) || timeout_ms <= 0) {
        Usage();
        return 2;
      }
    } else if (command.empty() && a == "-tls-ca" && i + 1 < argc) {
      tls_ca = argv[++i];
    } else if (command.empty() && a == "-tls-cert" && i + 1 < argc) {
      tls_cert = argv[++i];
    } else if (command.empty() && a == "-tls-key" && i + 1 < argc) {
      tls_key = argv[++i];
    } else if (command.empty() && (a == "-h" || a == "--help")) {
      Usage();
      return 0;
    } else if (command.empty() && a == "-r") {
      // read-only mode: accepted for zkCli.sh compatibility
    } else {
      command.push_back(a);
    }
  }
  const bool interactive = command.empty() && isatty(0);
  zk::shell::Shell::Options options;
  options.server = server;
  options.tls_ca_file = tls_ca;
  options.tls_cert_file = tls_cert;
  options.tls_key_file = tls_key;
  options.session_timeout = absl::Milliseconds(timeout_ms);
  options.connect_timeout = std::min(absl::Seconds(10), absl::Milliseconds(timeout_ms));
  options.out = [](const std::string& s) { PrintTo(stdout, s); };
  options.err = [](const std::string& s) { PrintTo(stderr, s); };
  if (interactive) {
    options.async = [](const std::string& s) {
      {
        std::lock_guard<std::mutex> lock(g_async_mu);
        g_async.push_back(s);
      }
      if (write(g_pipe[1], "x", 1) < 0) {
      }
    };
  } else {
    options.async = [](const std::string& s) { PrintTo(stdout, s); };
    options.report_states = false;
  }
  zk::shell::Shell shell(options);
  if (interactive) {
    if (pipe(g_pipe) != 0) return 1;
    shell.Connect(server);
    return RunInteractive(shell);
  }
  if (!shell.Connect(server)) return 1;
  if (!command.empty()) return shell.ExecuteWords(command) ? 0 : 1;
  bool ok = true;
  std::string line;
  while (std::getline(std::cin, line)) {
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    ok &= shell.ExecuteLine(line);
    if (shell.quit_requested()) break;
  }
  return ok ? 0 : 1;
}
