#include "dir_state.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

#include <fcntl.h>
#include <unistd.h>

#include "entact/errc.hpp"
#include "entact/storage/store_dir.hpp"

namespace fs = std::filesystem;

namespace entact::storage {

std::string creation_marker() {
  return "ENTACT-CREATING";
}

} // namespace entact::storage

namespace entact::storage::detail {

namespace {

caf::error fs_error(const std::string& what, const std::string& path,
                    int err) {
  return make_error(errc::storage_failure,
                    what + " " + path + ": " + std::strerror(err));
}

// A created or removed name is durable only once its directory is synced.
caf::error sync_dir(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return fs_error("opening", path, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? caf::error{} : fs_error("syncing", path, err);
}

std::string marker_path(const std::string& dir) {
  return (fs::path{dir} / creation_marker()).string();
}

} // namespace

caf::expected<dir_state> inspect_dir(const std::string& path) {
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (st.type() == fs::file_type::not_found)
    return dir_state{};
  if (ec)
    return fs_error("inspecting", path, ec.value());
  if (!fs::is_directory(st))
    return make_error(errc::storage_failure, path + " is not a directory");
  dir_state result;
  bool current = false;
  for (fs::directory_iterator it{path, ec}, end; !ec && it != end;
       it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name == creation_marker())
      return dir_state{dir_kind::interrupted, {}};
    if (name == "CURRENT")
      current = true;
    else if (name != "lost+found" && result.example.empty())
      result.example = name;
  }
  if (ec)
    return fs_error("listing", path, ec.value());
  if (current)
    result.kind = dir_kind::rocksdb;
  else if (!result.example.empty())
    result.kind = dir_kind::foreign;
  return result;
}

caf::error begin_creation(const std::string& path) {
  std::error_code ec;
  if (fs::create_directory(path, ec); ec)
    return fs_error("creating", path, ec.value());
  auto marker = marker_path(path);
  int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  0644);
  if (fd < 0)
    return fs_error("creating", marker, errno);
  constexpr std::string_view text = "an entact store is being created here\n";
  bool ok = ::write(fd, text.data(), text.size())
              == static_cast<ssize_t>(text.size())
            && ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok)
    return fs_error("writing", marker, err);
  return sync_dir(path);
}

caf::error end_creation(const std::string& path) {
  auto marker = marker_path(path);
  if (::unlink(marker.c_str()) != 0)
    return fs_error("removing", marker, errno);
  return sync_dir(path);
}

} // namespace entact::storage::detail
