#include "harness/util.hpp"

#include <malloc.h>
#include <stdlib.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace bench {

uint64_t rss_bytes() {
  std::ifstream in{"/proc/self/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stoull(line.substr(6)) * 1024;
  return 0;
}

void trim_heap() {
  malloc_trim(0);
}

temp_dir::temp_dir(const std::string& parent, const std::string& tag) {
  std::filesystem::create_directories(parent);
  std::string templ = parent + "/" + tag + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed under " + parent);
  path_ = buf.data();
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string json::quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string json::number(double x) {
  if (!std::isfinite(x))
    return "null";
  std::ostringstream os;
  os.precision(15);
  os << x;
  return os.str();
}

json& json::field(const std::string& key, const std::string& raw_value) {
  if (!body_.empty())
    body_ += ",";
  body_ += quote(key) + ":" + raw_value;
  return *this;
}

std::string json::array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0)
      out += ",\n";
    out += items[i];
  }
  return out + "]";
}

} // namespace bench
