#include "harness/machine.hpp"

#include <sys/utsname.h>

#include <ctime>
#include <fstream>
#include <thread>

#include <caf/config.hpp>
#include <rocksdb/version.h>

namespace bench {

namespace {

std::string now_utc() {
  auto t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

} // namespace

std::string load_average() {
  std::ifstream in{"/proc/loadavg"};
  std::string line;
  std::getline(in, line);
  return line;
}

machine_info describe_machine() {
  machine_info m;
  m.date = now_utc();
  m.cores = std::thread::hardware_concurrency();
  utsname u{};
  if (uname(&u) == 0)
    m.kernel = std::string{u.sysname} + " " + u.release + " " + u.machine;
  std::ifstream cpuinfo{"/proc/cpuinfo"};
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.rfind("model name", 0) == 0) {
      m.cpu = line.substr(line.find(':') + 2);
      break;
    }
  m.load_start = load_average();
  m.rocksdb = std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR)
              + "." + std::to_string(ROCKSDB_PATCH);
  m.caf = std::to_string(CAF_VERSION / 10000) + "."
          + std::to_string(CAF_VERSION / 100 % 100) + "."
          + std::to_string(CAF_VERSION % 100);
  m.compiler = "g++ " __VERSION__;
#ifndef NDEBUG
  m.assertions_in_bench = true;
#endif
  return m;
}

} // namespace bench
