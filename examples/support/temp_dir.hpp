// A temporary directory that cleans up after itself.
#pragma once

#include <string>

namespace example {

/// A fresh directory under $TMPDIR ("entact-`tag`-XXXXXX"), removed with
/// everything in it by the destructor; `path()` is empty if it could not be
/// made.
class temp_dir {
public:
  explicit temp_dir(const std::string& tag);
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir();

  const std::string& path() const {
    return path_;
  }

private:
  std::string path_;
};

} // namespace example
