#pragma once

// What /proc tells about the processes a test starts.

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include <dirent.h>
#include <sys/types.h>
#include <unistd.h>

namespace entact::test {

/// The pid of this process's child running `name` (e.g. the entactd a
/// server_process started), or -1.
inline pid_t child_named(const std::string& name) {
  pid_t found = -1;
  if (auto* d = ::opendir("/proc")) {
    while (auto* e = ::readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9')
        continue;
      std::ifstream in{std::string{"/proc/"} + e->d_name + "/stat"};
      std::string line;
      std::getline(in, line);
      // pid (comm) state ppid ...
      auto open = line.find('(');
      auto close = line.rfind(')');
      if (open == std::string::npos || close == std::string::npos)
        continue;
      auto comm = line.substr(open + 1, close - open - 1);
      long ppid = -1;
      char state = 0;
      std::istringstream rest{line.substr(close + 1)};
      rest >> state >> ppid;
      if (comm == name && ppid == ::getpid())
        found = static_cast<pid_t>(std::stol(e->d_name));
    }
    ::closedir(d);
  }
  return found;
}

/// The peak resident set size of process `pid` (VmHWM), in KiB.
inline uint64_t peak_rss_kib(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string key;
  while (in >> key) {
    if (key == "VmHWM:") {
      uint64_t kib = 0;
      in >> kib;
      return kib;
    }
    in.ignore(4096, '\n');
  }
  return 0;
}

} // namespace entact::test
