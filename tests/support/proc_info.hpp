#pragma once

// What /proc tells about the processes a test starts.

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <dirent.h>
#include <sys/types.h>
#include <unistd.h>

namespace entact::test {

/// The names of the entries of directory `dir` that are numbers (pids in
/// /proc, thread ids in /proc/PID/task); empty if it cannot be read.
inline std::vector<std::string> numbered_entries(const std::string& dir) {
  std::vector<std::string> out;
  if (auto* d = ::opendir(dir.c_str())) {
    while (auto* e = ::readdir(d))
      if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
        out.emplace_back(e->d_name);
    ::closedir(d);
  }
  return out;
}

/// The fields of a /proc stat file that tests look at.
struct proc_stat {
  std::string comm;
  /// R running, S sleeping, D disk wait, T stopped, Z zombie, ...
  char state = 0;
  long ppid = -1;
};

/// Reads the stat file at `path`; false if it is gone or unreadable.
inline bool read_stat(const std::string& path, proc_stat& out) {
  std::ifstream in{path};
  std::string line;
  std::getline(in, line);
  // pid (comm) state ppid ...; comm itself may hold spaces and parentheses.
  auto open = line.find('(');
  auto close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos)
    return false;
  out.comm = line.substr(open + 1, close - open - 1);
  std::istringstream rest{line.substr(close + 1)};
  return static_cast<bool>(rest >> out.state >> out.ppid);
}

/// The pid of this process's child running `name` (e.g. the entactd a
/// server_process started), or -1.
inline pid_t child_named(const std::string& name) {
  pid_t found = -1;
  for (auto& pid : numbered_entries("/proc")) {
    proc_stat st;
    if (read_stat("/proc/" + pid + "/stat", st) && st.comm == name
        && st.ppid == ::getpid())
      found = static_cast<pid_t>(std::stol(pid));
  }
  return found;
}

/// How many threads a process has, and how many of them are stopped.
struct thread_tally {
  size_t threads = 0;
  size_t stopped = 0; // in state 'T'
};

/// The threads of process `pid` (none once it is gone). A process has
/// stopped only when all of them have: SIGSTOP reaches one thread first,
/// and the others go on running until that one has run.
inline thread_tally threads_of(pid_t pid) {
  auto task = "/proc/" + std::to_string(pid) + "/task";
  thread_tally out;
  for (auto& tid : numbered_entries(task)) {
    proc_stat st;
    if (read_stat(task + "/" + tid + "/stat", st)) {
      ++out.threads;
      if (st.state == 'T')
        ++out.stopped;
    }
  }
  return out;
}

/// The field `key` (e.g. "VmRSS:") of /proc/`pid`/status, in KiB.
inline uint64_t status_kib(pid_t pid, const std::string& field) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string key;
  while (in >> key) {
    if (key == field) {
      uint64_t kib = 0;
      in >> kib;
      return kib;
    }
    in.ignore(4096, '\n');
  }
  return 0;
}

/// The peak resident set size of process `pid` (VmHWM), in KiB.
inline uint64_t peak_rss_kib(pid_t pid) {
  return status_kib(pid, "VmHWM:");
}

/// The resident set size of process `pid` now (VmRSS), in KiB.
inline uint64_t rss_kib(pid_t pid) {
  return status_kib(pid, "VmRSS:");
}

} // namespace entact::test
