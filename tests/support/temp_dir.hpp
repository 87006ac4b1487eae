#pragma once

#include <filesystem>
#include <random>
#include <string>

namespace entact::test {

/// A fresh directory under the system temp dir, removed with its contents
/// when the object dies.
class temp_dir {
public:
  temp_dir() {
    std::random_device rd;
    auto base = std::filesystem::temp_directory_path();
    do {
      path_ = base / ("entact-test-" + std::to_string(rd()));
    } while (!std::filesystem::create_directory(path_));
  }

  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// A path inside the directory (not created).
  std::string sub(const std::string& name) const {
    return (path_ / name).string();
  }

  std::string str() const {
    return path_.string();
  }

private:
  std::filesystem::path path_;
};

} // namespace entact::test
