#include "dir_state.hpp"

#include <cerrno>
#include <filesystem>
#include <string_view>

#include <unistd.h>

#include "entact/errc.hpp"
#include "entact/storage/store_dir.hpp"
#include "fs_sync.hpp"

namespace fs = std::filesystem;

namespace entact::storage {

std::string creation_marker() {
  return "ENTACT-CREATING";
}

} // namespace entact::storage

namespace entact::storage::detail {

namespace {

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
  constexpr std::string_view text = "an entact store is being created here\n";
  if (auto err = write_synced(marker, text))
    return err;
  return sync_dir(path);
}

caf::error end_creation(const std::string& path) {
  auto marker = marker_path(path);
  if (::unlink(marker.c_str()) != 0)
    return fs_error("removing", marker, errno);
  return sync_dir(path);
}

} // namespace entact::storage::detail
