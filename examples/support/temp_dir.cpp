#include "support/temp_dir.hpp"

#include <stdlib.h>

#include <filesystem>
#include <system_error>

namespace example {

temp_dir::temp_dir(const std::string& tag) {
  auto pattern = std::filesystem::temp_directory_path()
                 / ("entact-" + tag + "-XXXXXX");
  std::string buf = pattern.string();
  if (::mkdtemp(buf.data()) != nullptr)
    path_ = buf;
}

temp_dir::~temp_dir() {
  std::error_code ignored;
  if (!path_.empty())
    std::filesystem::remove_all(path_, ignored);
}

} // namespace example
