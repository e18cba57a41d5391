// InteractiveProcess: a `faceid` child with stdin, stdout and stderr on pipes, for commands
// that talk with a person while they run (the client's camera prompts and its wait for Enter).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "support/server_process.h"

namespace faceid::testing {

class InteractiveProcess {
 public:
  // Starts `faceid ARGS...` in `cwd` with exactly `env`.
  InteractiveProcess(const std::vector<std::string>& args, const Env& env, const std::string& cwd);
  ~InteractiveProcess();  // kills a child still running
  InteractiveProcess(const InteractiveProcess&) = delete;
  InteractiveProcess& operator=(const InteractiveProcess&) = delete;

  // Reads the child's output until stderr contains `text`; false when the child exits or
  // `timeout_ms` passes first.
  bool wait_for_stderr(const std::string& text, int timeout_ms);
  void write_stdin(const std::string& text);
  void close_stdin();
  // Reads the rest of the output and returns the exit code (-1: killed after timeout_ms).
  int wait(int timeout_ms);

  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  // Reads whatever the pipes hold within `timeout_ms`; false once both are closed.
  bool pump(int timeout_ms);

  pid_t pid_ = -1;
  int in_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
};

}  // namespace faceid::testing
