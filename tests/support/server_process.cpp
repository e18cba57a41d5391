// fork/exec of the faceid binary for end-to-end tests.
#include "support/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "support/backends.h"
#include "support/http_client.h"

namespace faceid::testing {
namespace {

pid_t spawn(const std::vector<std::string>& args, const Env& env, const std::string& cwd,
            const std::string& output_file) {
  FaceidCommand command(args, env);
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(126);
    int fd = open(output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    command.exec();
  }
  return pid;
}

int wait_for(pid_t pid, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

// On the PostgreSQL run, a data dir gets its own database and Redis database, made once and
// remembered beside it ("<DATA_DIR>.test-backends"), so CLI commands run against the same dir,
// and servers restarted on the same DATA_DIR, see the same data, as with SQLite.
void add_backend_urls(const std::string& data_dir, Env& env) {
  const std::string saved = data_dir + ".test-backends";
  std::string content = read_file(saved);
  if (content.empty()) {
    const auto& b = Backends::shared();
    content = b.fresh_database_url() + "\n" + b.fresh_redis_url() + "\n";
    write_file(saved, content);
  }
  auto nl = content.find('\n');
  env["DATABASE_URL"] = content.substr(0, nl);
  env["REDIS_URL"] = content.substr(nl + 1, content.find('\n', nl + 1) - nl - 1);
}

}  // namespace

FaceidCommand::FaceidCommand(const std::vector<std::string>& args, const Env& env) {
  args_.push_back(FACEID_BIN);
  args_.insert(args_.end(), args.begin(), args.end());
  for (const auto& [k, v] : env) env_.push_back(k + "=" + v);
  for (auto& a : args_) argv_.push_back(a.data());
  argv_.push_back(nullptr);
  for (auto& e : env_) envp_.push_back(e.data());
  envp_.push_back(nullptr);
}

void FaceidCommand::exec() {
  execve(argv_[0], argv_.data(), envp_.data());
  _exit(127);
}

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

Env base_env(const TempDir& dir, const Env& extra) {
  Env env = {{"PATH", "/usr/local/bin:/usr/bin:/bin"},
             {"HOME", dir.path().string()},
             {"HOST", "127.0.0.1"},
             {"DATA_DIR", dir.file("data")},
             {"LOG_FILE", dir.file("logs/app.log")},
             {"MODELS_DIR", std::string(FACEID_SOURCE_DIR) + "/models"},
             {"WEB_DIR", std::string(FACEID_SOURCE_DIR) + "/web"},
             {"DOCS_ASSETS_DIR", std::string(FACEID_SOURCE_DIR) + "/node_modules/swagger-ui-dist"},
             {"SECRET_KEY", "test-secret-key-0123456789abcdef0123456789"},
             {"WORKERS", "4"}};
  if (const char* opts = std::getenv("ASAN_OPTIONS")) env["ASAN_OPTIONS"] = opts;
  if (const char* opts = std::getenv("UBSAN_OPTIONS")) env["UBSAN_OPTIONS"] = opts;
  if (postgres_backend_selected() && extra.count("DATABASE_URL") == 0) {
    add_backend_urls(extra.count("DATA_DIR") ? extra.at("DATA_DIR") : env["DATA_DIR"], env);
  }
  for (const auto& [k, v] : extra) env[k] = v;
  return env;
}

RunResult run_shell(const std::string& command) {
  std::array<char, 4096> buf{};
  RunResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  while (std::fgets(buf.data(), buf.size(), p) != nullptr) r.output += buf.data();
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

RunResult run_faceid(const std::vector<std::string>& args, const Env& env, const std::string& cwd) {
  TempDir scratch;
  std::string out = scratch.file("out.txt");
  pid_t pid = spawn(args, env, cwd, out);
  RunResult r;
  r.exit_code = wait_for(pid, 120000);
  if (r.exit_code == -1) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  r.output = read_file(out);
  return r;
}

ServerProcess::ServerProcess(const Env& env, int ready_timeout_ms) {
  for (int attempt = 0; attempt < 3 && pid_ <= 0; ++attempt) {
    port_ = free_port();
    Env e = base_env(dir_, env);
    e["PORT"] = std::to_string(port_);
    pid_ = spawn({"serve"}, e, dir_.path().string(), dir_.file("stdout.log"));
    HttpClient client(base_url());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ready_timeout_ms);
    bool up = false;
    while (!up && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;  // exited (bad config, port taken): caller inspects output()
        break;
      }
      // /health alone could come from another test's server that got the same port: the
      // child's own "listening" line naming the port says the answer is ours.
      up = client.get("/health").status == 200 &&
           output().find("\"port\":" + std::to_string(port_) + ",") != std::string::npos;
      if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (pid_ > 0 && !up) stop(SIGKILL);
    if (pid_ <= 0 && output().find("cannot listen") == std::string::npos) break;
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) stop(SIGTERM);
}

void ServerProcess::signal(int sig) const {
  if (pid_ > 0) kill(pid_, sig);
}

int ServerProcess::wait(int timeout_ms) {
  if (pid_ <= 0) return -1;
  int code = wait_for(pid_, timeout_ms);
  if (code != -1) pid_ = -1;
  return code;
}

int ServerProcess::stop(int sig, int timeout_ms) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  int code = wait_for(pid_, timeout_ms);
  if (code == -1) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
  return code;
}

}  // namespace faceid::testing
