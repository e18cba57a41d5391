// ServerProcess: runs the real `faceid serve` binary as a child on a free loopback port, with
// a temp working dir (data, logs) and a controlled environment; stops it with SIGTERM.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace faceid::testing {

using Env = std::map<std::string, std::string>;

// A port that was free a moment ago on 127.0.0.1.
int free_port();

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr interleaved
};

// Runs `faceid ARGS...` to completion in `cwd` with the base test environment plus `env`.
RunResult run_faceid(const std::vector<std::string>& args, const Env& env, const std::string& cwd);

// Runs `command` through the shell; output is stdout and stderr interleaved.
RunResult run_shell(const std::string& command);

// The environment every test server gets (loopback, temp dirs, a fixed strong secret,
// repository models; on the PostgreSQL run its own database and Redis database), overridden
// by `extra`.
Env base_env(const TempDir& dir, const Env& extra);

// The faceid binary's command line and environment, built before fork() (a forked child of a
// threaded test must not allocate), exec'd in the child.
class FaceidCommand {
 public:
  FaceidCommand(const std::vector<std::string>& args, const Env& env);
  [[noreturn]] void exec();

 private:
  std::vector<std::string> args_, env_;
  std::vector<char*> argv_, envp_;
};

class ServerProcess {
 public:
  // Starts the server and waits until /health answers (or the child exits).
  explicit ServerProcess(const Env& env = {}, int ready_timeout_ms = 60000);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const TempDir& dir() const { return dir_; }
  std::string log_file() const { return dir_.file("logs/app.log"); }
  std::string output() const { return read_file(dir_.file("stdout.log")); }

  // Sends `sig` and waits up to timeout_ms; returns the exit code (-1 on timeout/kill).
  int stop(int sig = 15, int timeout_ms = 30000);
  // Sends a signal without waiting.
  void signal(int sig) const;
  // Waits for the child to exit; returns the exit code (-1 on timeout).
  int wait(int timeout_ms);

 private:
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace faceid::testing
