#include "recovery_log.hpp"

#include <cstdio>

namespace entact::storage::detail {

namespace {

// RocksDB prefixes its lines with "[WARN] " and "[db/...:982] ".
std::string without_prefixes(std::string line) {
  while (line.size() > 1 && line[0] == '[') {
    auto end = line.find("] ");
    if (end == std::string::npos)
      break;
    line.erase(0, end + 2);
  }
  return line;
}

} // namespace

void recovery_log::Logv(const char* format, va_list ap) {
  char buf[1024];
  auto n = std::vsnprintf(buf, sizeof(buf), format, ap);
  if (n < 0)
    return;
  std::string line{buf};
  if (line.find(": dropping ") == std::string::npos
      && line.find("Point in time recovered") == std::string::npos)
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  lines_.push_back(without_prefixes(std::move(line)));
}

std::vector<std::string> recovery_log::lines() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return lines_;
}

} // namespace entact::storage::detail
