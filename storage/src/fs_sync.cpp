#include "fs_sync.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include "entact/errc.hpp"

namespace entact::storage::detail {

caf::error fs_error(const std::string& what, const std::string& path,
                    int err) {
  return make_error(errc::storage_failure,
                    what + " " + path + ": " + std::strerror(err));
}

caf::error sync_dir(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return fs_error("opening", path, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? caf::error{} : fs_error("syncing", path, err);
}

caf::error write_synced(const std::string& path, std::string_view text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  0644);
  if (fd < 0)
    return fs_error("creating", path, errno);
  auto n = ::write(fd, text.data(), text.size());
  // A short write of a few bytes means the disk is full: say so, errno
  // is not set for it.
  int err = n < 0 ? errno : ENOSPC;
  bool ok = n == static_cast<ssize_t>(text.size());
  if (ok && ::fsync(fd) != 0) {
    ok = false;
    err = errno;
  }
  ::close(fd);
  return ok ? caf::error{} : fs_error("writing", path, err);
}

} // namespace entact::storage::detail
