#include "support/entactd_process.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

extern char** environ;

namespace example {

namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

// Where the build puts entactd: <dir of this program>/../apps/entactd.
std::string default_entactd() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec)
    return "entactd";
  return (self.parent_path().parent_path() / "apps" / "entactd").string();
}

// Collects the child's exit if it has exited: true, with its exit code (or
// -1 if a signal ended it) in `code`.
bool exited(pid_t pid, int& code) {
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) != pid)
    return false;
  code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return true;
}

} // namespace

entactd_process::entactd_process(std::string path, const std::string& tag)
  : path_(std::move(path)), dir_(tag) {
}

std::unique_ptr<entactd_process>
entactd_process::start(const std::string& path, bool sync,
                       const std::string& tag) {
  std::unique_ptr<entactd_process> s{
    new entactd_process{path.empty() ? default_entactd() : path, tag}};
  if (::access(s->path_.c_str(), X_OK) != 0) {
    std::fprintf(stderr,
                 "no entactd at %s: build it (target entactd), or pass "
                 "--entactd=PATH or --port=P\n",
                 s->path_.c_str());
    return nullptr;
  }
  auto& dir = s->dir_.path();
  if (dir.empty()) {
    std::fprintf(stderr, "cannot create a temporary directory\n");
    return nullptr;
  }
  auto port_file = dir + "/port";
  std::vector<std::string> argv{s->path_, "--data-dir=" + dir + "/data",
                                "--port=0", "--port-file=" + port_file};
  if (!sync)
    argv.push_back("--no-sync");
  if (!s->spawn(argv) || !s->wait_listening(port_file))
    return nullptr;
  return s;
}

bool entactd_process::spawn(std::vector<std::string> argv) {
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  if (::posix_spawn(&pid_, path_.c_str(), nullptr, nullptr, args.data(),
                    environ)
      != 0) {
    std::fprintf(stderr, "cannot start %s\n", path_.c_str());
    pid_ = -1;
    return false;
  }
  return true;
}

bool entactd_process::wait_listening(const std::string& port_file) {
  auto deadline = steady_clock::now() + 30s;
  while (steady_clock::now() < deadline) {
    std::ifstream in{port_file};
    unsigned p = 0;
    if (in >> p && p > 0) {
      port_ = static_cast<uint16_t>(p);
      return true;
    }
    int code = 0;
    if (exited(pid_, code)) {
      pid_ = -1;
      std::fprintf(stderr, "%s exited before listening\n", path_.c_str());
      return false;
    }
    std::this_thread::sleep_for(20ms);
  }
  std::fprintf(stderr, "%s did not start listening\n", path_.c_str());
  return false;
}

entactd_process::~entactd_process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

int entactd_process::stop() {
  if (pid_ <= 0)
    return -1;
  ::kill(pid_, SIGTERM);
  auto deadline = steady_clock::now() + 30s;
  while (steady_clock::now() < deadline) {
    int code = 0;
    if (exited(pid_, code)) {
      pid_ = -1;
      return code;
    }
    std::this_thread::sleep_for(10ms);
  }
  return -1; // the destructor kills it
}

} // namespace example
