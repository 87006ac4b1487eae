#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

/// `entactd` as a child process on an ephemeral loopback port, its output
/// in `<dir>/entactd.log`. The real server, so that W7 measures what a
/// remote user gets, frame guard included.
class server_child {
public:
  /// Starts entactd on `data_dir` (--no-sync unless `sync`, then `extra`
  /// arguments) and waits (at most 30 s) until it has written its port;
  /// throws if it exits or does not start.
  server_child(const std::string& dir, const std::string& data_dir,
               bool sync = false, std::vector<std::string> extra = {});

  /// SIGKILLs it if it still runs.
  ~server_child();

  server_child(const server_child&) = delete;
  server_child& operator=(const server_child&) = delete;

  uint16_t port() const {
    return port_;
  }

  /// SIGTERM, then waits (at most `limit`): the exit code, -signal if
  /// killed by one, -1000 if it did not exit in time (then SIGKILLed).
  int stop(std::chrono::seconds limit);

  /// The last 600 bytes of its output, for error messages.
  std::string log_tail() const;

private:
  bool exited();

  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string port_file_;
  std::string log_;
};

} // namespace bench
