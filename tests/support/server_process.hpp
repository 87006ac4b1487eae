#pragma once

#include <chrono>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/proc_info.hpp"
#include "support/temp_dir.hpp"
#include "support/wait_until.hpp"

extern char** environ;

namespace entact::test {

/// Runs a program as a child process; `wait_exit` collects its status.
/// The child is killed when the thread that started it ends (Linux's
/// parent-death signal), so a test that crashes or is killed at its
/// timeout leaves no entactd or ZooKeeper running behind it. Start
/// children from a thread that lives as long as they should.
class child_process {
public:
  explicit child_process(std::vector<std::string> argv) {
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    auto parent = getpid();
    pid_ = fork();
    if (pid_ < 0)
      throw std::runtime_error("cannot start " + argv[0]);
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and exec: the test
      // process has other threads.
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(127); // the parent is already gone
      execve(args[0], args.data(), environ);
      _exit(127);
    }
  }

  ~child_process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const {
    return pid_;
  }

  void signal(int sig) {
    kill(pid_, sig);
  }

  /// Waits for the exit; returns the exit code, or -signal if killed.
  int wait_exit() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return exit_code(status);
  }

  /// Like `wait_exit`, giving up (and returning -1000) after `limit`.
  int wait_exit_for(std::chrono::milliseconds limit) {
    int code = -1000;
    wait_until(
      [&] {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) != pid_)
          return false;
        pid_ = -1;
        code = exit_code(status);
        return true;
      },
      limit, std::chrono::milliseconds{10});
    return code;
  }

private:
  static int exit_code(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }

  pid_t pid_ = -1;
};

/// Waits until an entactd started with `--port-file=file` has written its
/// port there and returns it; throws after 30 s.
inline uint16_t wait_for_port_file(const std::string& file) {
  uint16_t port = 0;
  auto port_written = [&] {
    std::ifstream in{file};
    unsigned p = 0;
    if (!(in >> p) || p == 0)
      return false;
    port = static_cast<uint16_t>(p);
    return true;
  };
  if (!wait_until(port_written, std::chrono::seconds{30},
                  std::chrono::milliseconds{20}))
    throw std::runtime_error("entactd did not start");
  return port;
}

/// A real `entactd` on an ephemeral loopback port, over a data directory
/// that survives restarts of the server (`restart()`).
class server_process {
public:
  explicit server_process(std::vector<std::string> extra_args = {})
    : extra_(std::move(extra_args)) {
    start();
  }

  uint16_t port() const {
    return port_;
  }

  /// The HTTP gateway's port, for a server started with `--http-port=0`
  /// (0 if it serves no HTTP).
  uint16_t http_port() const {
    return http_port_;
  }

  const std::string& data_dir() const {
    return data_;
  }

  /// Stops with SIGTERM and returns entactd's exit code (-1000 if it has
  /// not exited within `limit`).
  int stop(std::chrono::milliseconds limit = std::chrono::seconds{30}) {
    if (!proc_)
      return 0;
    proc_->signal(SIGTERM);
    auto code = proc_->wait_exit_for(limit);
    proc_.reset();
    return code;
  }

  /// Kills without warning (SIGKILL).
  void crash() {
    proc_->signal(SIGKILL);
    proc_->wait_exit();
    proc_.reset();
  }

  void restart() {
    stop();
    start();
  }

  /// The extra arguments of the next start (`restart`), e.g. without a
  /// test-only flag the first run had.
  void set_extra_args(std::vector<std::string> args) {
    extra_ = std::move(args);
  }

  /// Waits (at most `limit`) for a process that ends by itself; its exit
  /// code, or -1000 if it is still running. `restart` starts it again.
  int wait_exit_for(std::chrono::milliseconds limit) {
    if (!proc_)
      return -1000;
    auto code = proc_->wait_exit_for(limit);
    if (code != -1000)
      proc_.reset(); // reaped: its pid is no longer ours to signal
    return code;
  }

  /// Freezes the process (SIGSTOP) and returns once every thread of it has
  /// stopped: from then on its connections stay open and nothing is
  /// answered. (`kill` returns before that: on a busy machine a thread can
  /// go on serving for a while.) Throws if it has not stopped within 10 s.
  /// `resume` thaws it.
  void pause() {
    proc_->signal(SIGSTOP);
    auto stopped = [&] {
      auto t = threads_of(proc_->pid());
      return t.threads > 0 && t.stopped == t.threads;
    };
    if (!wait_until(stopped, std::chrono::seconds{10},
                    std::chrono::milliseconds{1}))
      throw std::runtime_error("entactd did not stop on SIGSTOP");
  }

  /// Thaws a paused process (SIGCONT) and returns once none of its threads
  /// is stopped any longer. Throws if that takes more than 10 s.
  void resume() {
    proc_->signal(SIGCONT);
    auto thawed = [&] { return threads_of(proc_->pid()).stopped == 0; };
    if (!wait_until(thawed, std::chrono::seconds{10},
                    std::chrono::milliseconds{1}))
      throw std::runtime_error("entactd did not resume on SIGCONT");
  }

  pid_t pid() const {
    return proc_ ? proc_->pid() : -1;
  }

  bool running() {
    return proc_ && kill(proc_->pid(), 0) == 0;
  }

private:
  void start() {
    auto port_file = dir_.sub("port");
    ::unlink(port_file.c_str());
    auto http_port_file = dir_.sub("http_port");
    ::unlink(http_port_file.c_str());
    std::vector<std::string> argv{ENTACT_ENTACTD_PATH, "--data-dir=" + data_,
                                  "--port=0", "--port-file=" + port_file,
                                  "--http-port-file=" + http_port_file};
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    proc_ = std::make_unique<child_process>(argv);
    port_ = wait_for_port_file(port_file);
    // entactd writes the HTTP port (if it serves HTTP) before the other.
    unsigned http = 0;
    std::ifstream{http_port_file} >> http;
    http_port_ = static_cast<uint16_t>(http);
  }

  temp_dir dir_;
  std::string data_ = dir_.sub("data");
  std::vector<std::string> extra_;
  std::unique_ptr<child_process> proc_;
  uint16_t port_ = 0;
  uint16_t http_port_ = 0;
};

} // namespace entact::test
