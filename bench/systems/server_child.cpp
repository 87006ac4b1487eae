#include "systems/server_child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>
#include <vector>

#include "harness/util.hpp"

#ifndef ENTACT_ENTACTD_PATH
#error "ENTACT_ENTACTD_PATH (the entactd binary, for W7) must be defined"
#endif

extern char** environ;

namespace bench {

server_child::server_child(const std::string& dir,
                           const std::string& data_dir, bool sync,
                           std::vector<std::string> extra) {
  port_file_ = dir + "/port";
  log_ = dir + "/entactd.log";
  std::vector<std::string> argv{ENTACT_ENTACTD_PATH, "--data-dir=" + data_dir,
                                "--port=0", "--port-file=" + port_file_};
  if (!sync)
    argv.push_back("--no-sync");
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  auto rc = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    throw std::runtime_error(std::string{"cannot start "} + args[0]);
  auto deadline = clock::now() + std::chrono::seconds{30};
  while (clock::now() < deadline) {
    std::ifstream in{port_file_};
    unsigned p = 0;
    if (in >> p && p > 0) {
      port_ = static_cast<uint16_t>(p);
      return;
    }
    if (exited())
      throw std::runtime_error("entactd exited at start: " + log_tail());
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  throw std::runtime_error("entactd did not start: " + log_tail());
}

server_child::~server_child() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

int server_child::stop(std::chrono::seconds limit) {
  ::kill(pid_, SIGTERM);
  auto deadline = clock::now() + limit;
  while (clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return -1000;
}

std::string server_child::log_tail() const {
  std::ifstream in{log_};
  std::string all{std::istreambuf_iterator<char>{in},
                  std::istreambuf_iterator<char>{}};
  return all.size() > 600 ? all.substr(all.size() - 600) : all;
}

bool server_child::exited() {
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return true;
  }
  return false;
}

} // namespace bench
