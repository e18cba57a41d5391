// RawConnection: one plain TCP connection to a test server, for tests that must send bytes no
// HTTP client would (smuggling forms, endless chunk lines, silent sockets), optionally from a
// chosen loopback source address (127.0.0.0/8 is all local, so one machine can play many
// clients). Closes on destruction.
#pragma once

#include <string>

namespace faceid::testing {

class RawConnection {
 public:
  // source_ip: the local address to connect from ("" = any).
  explicit RawConnection(int port, const std::string& source_ip = "");
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  // Blocking send of every byte; false when the connection failed.
  bool send(const std::string& bytes);
  // Everything the server sends until it closes the connection or timeout_ms pass.
  std::string read_until_closed(int timeout_ms);
  // True once the server has closed (EOF or reset) without waiting; what arrived meanwhile
  // is kept in received().
  bool closed_by_server();
  // True when the server has sent something or closed, without waiting (reads into received()).
  bool answered();
  bool closed() const { return closed_; }
  const std::string& received() const { return received_; }

 private:
  void drain_nonblocking();

  int fd_;
  bool connected_ = false;
  bool closed_ = false;
  std::string received_;
};

// A process's resident memory in bytes now (VmRSS) and at its peak (VmHWM), from /proc.
struct ProcessMemory {
  long long rss = 0;
  long long peak = 0;
};
ProcessMemory process_memory(int pid);
// Resets the process's peak (VmHWM) to its current RSS, so the next peak belongs to what
// follows (Linux: "5" to /proc/PID/clear_refs). False when the kernel refused.
bool reset_peak_memory(int pid);

}  // namespace faceid::testing
