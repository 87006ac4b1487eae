// An entactd server run by an example as a child process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace example {

/// entactd on a temporary data directory and a free loopback port, stopped
/// with SIGTERM (a clean shutdown) and removed with its data at the end.
class entactd_process {
public:
  /// Starts the entactd at `path` (empty: where the build puts it,
  /// <this program's dir>/../apps/entactd), syncing its WAL if `sync`, and
  /// waits until it listens. Nothing, after a message on stderr, if there
  /// is no such program or it did not come up.
  static std::unique_ptr<entactd_process>
  start(const std::string& path, bool sync, const std::string& tag);

  entactd_process(const entactd_process&) = delete;
  entactd_process& operator=(const entactd_process&) = delete;

  /// Kills the server if `stop` did not stop it.
  ~entactd_process();

  const std::string& path() const {
    return path_;
  }

  uint16_t port() const {
    return port_;
  }

  /// SIGTERM, then waits up to 30 s; entactd's exit code, or -1.
  int stop();

private:
  entactd_process(std::string path, const std::string& tag);

  // Starts the program with `argv`; false (after a message) if it did not.
  bool spawn(std::vector<std::string> argv);

  // Waits up to 30 s for the port entactd writes to `port_file` once it
  // listens; false (after a message) if it exits or the time runs out.
  bool wait_listening(const std::string& port_file);

  std::string path_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  temp_dir dir_; // removed after entactd stopped
};

} // namespace example
