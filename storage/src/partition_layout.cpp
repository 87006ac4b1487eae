#include "partition_layout.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <optional>
#include <string_view>

#include <fcntl.h>
#include <unistd.h>

#include "dir_state.hpp"
#include "entact/errc.hpp"
#include "fs_sync.hpp"

namespace fs = std::filesystem;

namespace entact::storage::detail {

namespace {

constexpr std::string_view layout_file_name = "ENTACT-PARTITIONS";
constexpr std::string_view layout_temp_name = "ENTACT-PARTITIONS.tmp";
constexpr size_t layout_version = 1;
// RocksDB's identities are UUIDs (36 characters); this leaves room for
// other generators and keeps the file of 64 partitions near 5 KB.
constexpr size_t max_identity_size = 64;
constexpr size_t max_layout_bytes = 8192;

// What the layout file says.
struct layout_record {
  size_t count = 0;
  // Empty (the creation was cut short) or one per partition.
  std::vector<std::string> identities;
};

std::string root_entry(const std::string& root, std::string_view name) {
  return (fs::path{root} / name).string();
}

std::string partition_dir_name(size_t k) {
  return "p" + std::to_string(k);
}

std::string partition_count_text(size_t n) {
  return std::to_string(n) + (n == 1 ? " partition" : " partitions");
}

caf::error partition_count_mismatch(const std::string& root, size_t stored,
                                    size_t requested) {
  return make_error(errc::invalid_argument,
                    root + " holds a store of " + partition_count_text(stored)
                      + "; it was opened with "
                      + partition_count_text(requested)
                      + " (the partition count is fixed when a store is "
                        "created; nothing was changed)");
}

caf::error damaged_layout(const std::string& path, const std::string& why) {
  return make_error(errc::storage_failure,
                    "damaged layout file " + path + ": " + why
                      + "; refusing to open the store (nothing was changed)");
}

// A decimal number as the file writes it: digits only, no leading zero.
std::optional<size_t> parse_layout_number(std::string_view text) {
  size_t value = 0;
  const char* end = text.data() + text.size();
  auto [at, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || at != end || std::to_string(value) != text)
    return std::nullopt;
  return value;
}

// The rest of `line` after "<key> ", if it starts so.
std::optional<std::string_view> layout_field(std::string_view line,
                                         std::string_view key) {
  if (line.size() <= key.size() || line.substr(0, key.size()) != key
      || line[key.size()] != ' ')
    return std::nullopt;
  return line.substr(key.size() + 1);
}

std::optional<size_t> layout_number_field(std::string_view line,
                                   std::string_view key) {
  auto value = layout_field(line, key);
  return value ? parse_layout_number(*value) : std::nullopt;
}

bool usable_db_identity(std::string_view id) {
  return !id.empty() && id.size() <= max_identity_size
         && std::all_of(id.begin(), id.end(),
                        [](char c) { return c > ' ' && c <= '~'; });
}

// `text` ends with '\n'.
std::vector<std::string_view> layout_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto end = text.find('\n');
    lines.push_back(text.substr(0, end));
    text.remove_prefix(end + 1);
  }
  return lines;
}

// Adds the identity on `line` (the file's line `number`) for partition
// `rec.identities.size()`, or says why it cannot.
std::optional<std::string> add_layout_identity(layout_record& rec,
                                               std::string_view line,
                                               size_t number) {
  auto where = "line " + std::to_string(number);
  auto k = rec.identities.size();
  if (k == rec.count)
    return where + " follows the identities of all "
           + partition_count_text(rec.count);
  auto value = layout_field(line, "identity").value_or("");
  auto space = value.find(' ');
  auto index = parse_layout_number(value.substr(0, space));
  if (space == std::string_view::npos || !index)
    return where + " is not \"identity <partition> <identity>\"";
  if (*index != k)
    return where + " records partition " + partition_dir_name(*index)
           + " where " + partition_dir_name(k)
           + " was expected (each partition once, in order)";
  auto id = value.substr(space + 1);
  if (!usable_db_identity(id))
    return where + " holds no usable identity";
  auto same = std::find(rec.identities.begin(), rec.identities.end(), id);
  if (same != rec.identities.end())
    return partition_dir_name(k) + " has the identity of "
           + partition_dir_name(
             static_cast<size_t>(same - rec.identities.begin()));
  rec.identities.emplace_back(id);
  return std::nullopt;
}

caf::expected<layout_record> parse_layout(const std::string& path,
                                          std::string_view text) {
  if (text.empty() || text.back() != '\n')
    return damaged_layout(path, "its last line is incomplete");
  auto lines = layout_lines(text);
  auto version = layout_number_field(lines[0], "entact-partitions");
  if (!version)
    return damaged_layout(path, "its first line is not \"entact-partitions "
                                "<version>\"");
  if (*version != layout_version)
    return damaged_layout(path, "unknown layout version "
                                  + std::to_string(*version)
                                  + " (this entact knows version "
                                  + std::to_string(layout_version) + ")");
  auto count = lines.size() > 1 ? layout_number_field(lines[1], "count")
                                : std::nullopt;
  if (!count)
    return damaged_layout(path,
                          "its second line is not \"count <partitions>\"");
  if (*count < 2 || *count > max_partitions)
    return damaged_layout(path, "a count of " + std::to_string(*count)
                                  + " (a partitioned store has 2 to "
                                  + std::to_string(max_partitions) + ")");
  layout_record rec{*count, {}};
  for (size_t i = 2; i < lines.size(); ++i)
    if (auto why = add_layout_identity(rec, lines[i], i + 1))
      return damaged_layout(path, *why);
  if (!rec.identities.empty() && rec.identities.size() != rec.count)
    return damaged_layout(path, "it records the identities of only "
                                  + std::to_string(rec.identities.size())
                                  + " of its "
                                  + partition_count_text(rec.count));
  return rec;
}

std::string render_layout(const layout_record& rec) {
  auto text = "entact-partitions " + std::to_string(layout_version)
              + "\ncount " + std::to_string(rec.count) + "\n";
  for (size_t k = 0; k < rec.identities.size(); ++k)
    text += "identity " + std::to_string(k) + " " + rec.identities[k] + "\n";
  return text;
}

// Reads at most `max_layout_bytes` + 1 bytes of `path` into `text`.
caf::error read_layout_text(const std::string& path, int fd,
                            std::string& text) {
  text.resize(max_layout_bytes + 1);
  size_t got = 0;
  while (got < text.size()) {
    auto n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return fs_error("reading", path, errno);
    if (n == 0)
      break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  return {};
}

// The layout file of `root`, or none (no such file, or no such directory).
caf::expected<std::optional<layout_record>>
read_layout(const std::string& root) {
  auto path = root_entry(root, layout_file_name);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
    return std::optional<layout_record>{};
  if (fd < 0)
    return fs_error("opening", path, errno);
  std::string text;
  auto err = read_layout_text(path, fd, text);
  ::close(fd);
  if (err)
    return err;
  if (text.size() > max_layout_bytes)
    return damaged_layout(path, "it is larger than "
                                  + std::to_string(max_layout_bytes)
                                  + " bytes");
  auto rec = parse_layout(path, text);
  if (!rec)
    return std::move(rec.error());
  return std::optional<layout_record>{std::move(*rec)};
}

// A crash leaves the old file or the new one, never a mix: the new one is
// written and synced under another name, then renamed over.
caf::error write_layout(const std::string& root, const layout_record& rec) {
  auto temp = root_entry(root, layout_temp_name);
  if (auto err = write_synced(temp, render_layout(rec)))
    return err;
  auto path = root_entry(root, layout_file_name);
  if (::rename(temp.c_str(), path.c_str()) != 0)
    return fs_error("renaming " + temp + " to", path, errno);
  return sync_dir(root);
}

std::vector<std::string> partition_paths(const std::string& root, size_t n) {
  std::vector<std::string> paths;
  for (size_t k = 0; k < n; ++k)
    paths.push_back(root_entry(root, partition_dir_name(k)));
  return paths;
}

// The directory that holds `root`'s own name.
std::string parent_dir_of(const std::string& root) {
  auto path = fs::path{root}.lexically_normal();
  if (!path.has_filename()) // "a/b/": its filename is empty
    path = path.parent_path();
  auto parent = path.parent_path();
  return parent.empty() ? "." : parent.string();
}

caf::expected<partition_layout> create_layout(const std::string& root,
                                              size_t n) {
  std::error_code ec;
  bool made = fs::create_directory(root, ec);
  if (ec)
    return fs_error("creating", root, ec.value());
  if (made)
    if (auto err = sync_dir(parent_dir_of(root)))
      return err;
  if (auto err = write_layout(root, layout_record{n, {}}))
    return err;
  return partition_layout{partition_paths(root, n), true};
}

// A creation that stopped while writing the first layout file leaves its
// temp file alone in `root`: still a new store.
bool holds_only_layout_temp(const std::string& root) {
  std::error_code ec;
  bool found = false;
  for (fs::directory_iterator it{root, ec}, end; !ec && it != end;
       it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name == layout_temp_name)
      found = true;
    else if (name != "lost+found")
      return false;
  }
  return !ec && found;
}

// A fully created store never lost a partition: an empty one in its place
// would silently drop every entity routed there.
caf::error check_partitions_present(const std::string& root,
                                    const std::vector<std::string>& paths) {
  for (size_t k = 0; k < paths.size(); ++k) {
    auto dir = inspect_dir(paths[k]);
    if (!dir)
      return std::move(dir.error());
    auto name = "partition " + partition_dir_name(k) + " of " + root;
    if (dir->kind == dir_kind::fresh)
      return make_error(errc::storage_failure,
                        name + " is missing (" + paths[k]
                          + " is missing or empty); refusing to open the "
                            "store (nothing was changed)");
    if (dir->kind != dir_kind::rocksdb)
      return make_error(errc::storage_failure,
                        name + " holds no complete database (" + paths[k]
                          + " has no RocksDB CURRENT file); refusing to open "
                            "the store (nothing was changed)");
  }
  return {};
}

caf::expected<partition_layout>
layout_from_record(const std::string& root, const layout_record& rec,
                   size_t requested) {
  if (requested != 0 && requested != rec.count)
    return partition_count_mismatch(root, rec.count, requested);
  partition_layout layout{partition_paths(root, rec.count),
                          rec.identities.empty()};
  if (!layout.creating)
    if (auto err = check_partitions_present(root, layout.paths))
      return err;
  return layout;
}

caf::error not_a_partitioned_store(const std::string& root,
                                   const dir_state& dir, size_t requested) {
  return make_error(errc::invalid_argument,
                    root + " is not an entact store: a non-empty directory "
                           "(it holds \""
                      + dir.example + "\") without a layout file "
                      + std::string{layout_file_name}
                      + "; refusing to create a store of "
                      + partition_count_text(requested)
                      + " in it (nothing was changed)");
}

// Identities as the caller passes them: one usable one per partition, no
// two alike (a partition copied from another would share its identity).
caf::error check_given_identities(const std::string& root, size_t n,
                                  const std::vector<std::string>& ids) {
  if (ids.size() != n)
    return make_error(errc::invalid_argument,
                      std::to_string(ids.size()) + " identities for the "
                        + partition_count_text(n) + " of " + root);
  for (size_t k = 0; k < n; ++k) {
    auto name = "partition " + partition_dir_name(k) + " of " + root;
    if (!usable_db_identity(ids[k]))
      return make_error(errc::invalid_argument,
                        name + " has no usable RocksDB identity (empty, "
                               "longer than "
                          + std::to_string(max_identity_size)
                          + " bytes or not printable)");
    auto same = std::find(ids.begin(), ids.begin() + k, ids[k]);
    if (same != ids.begin() + k)
      return make_error(
        errc::invalid_argument,
        name + " has the RocksDB identity of "
          + partition_dir_name(static_cast<size_t>(same - ids.begin()))
          + ": one is a copy of the other; refusing to open the store "
            "(nothing was changed)");
  }
  return {};
}

caf::error
check_recorded_identities(const std::string& root,
                          const std::vector<std::string>& recorded,
                          const std::vector<std::string>& ids) {
  for (size_t k = 0; k < ids.size(); ++k) {
    if (ids[k] == recorded[k])
      continue;
    auto other = std::find(recorded.begin(), recorded.end(), ids[k]);
    auto guess = other != recorded.end()
                   ? "it is the database recorded as "
                       + partition_dir_name(static_cast<size_t>(
                         other - recorded.begin()))
                       + ": were partition directories swapped?"
                   : std::string{"its directory was replaced or copied from "
                                 "another store"};
    return make_error(errc::invalid_argument,
                      "partition " + partition_dir_name(k) + " of " + root
                        + " is not the one this store was created with: its "
                          "RocksDB identity is "
                        + ids[k] + ", the store recorded " + recorded[k] + " ("
                        + guess + "); refusing to open the store (nothing "
                                  "was changed)");
  }
  return {};
}

} // namespace

caf::expected<partition_layout> resolve_layout(const std::string& root,
                                               size_t requested) {
  if (root.empty())
    return make_error(errc::invalid_argument, "store path is empty");
  if (requested > max_partitions)
    return make_error(errc::too_large,
                      "a store has at most " + std::to_string(max_partitions)
                        + " partitions; " + std::to_string(requested)
                        + " were requested");
  auto rec = read_layout(root);
  if (!rec)
    return std::move(rec.error());
  if (*rec)
    return layout_from_record(root, **rec, requested);
  auto dir = inspect_dir(root);
  if (!dir)
    return std::move(dir.error());
  if (requested <= 1) // today's layout; the single store judges the rest
    return partition_layout{{root}, false};
  switch (dir->kind) {
    case dir_kind::fresh:
      return create_layout(root, requested);
    case dir_kind::rocksdb:
    case dir_kind::interrupted:
      return partition_count_mismatch(root, 1, requested);
    case dir_kind::foreign:
      break;
  }
  if (holds_only_layout_temp(root))
    return create_layout(root, requested);
  return not_a_partitioned_store(root, *dir, requested);
}

caf::error
record_or_check_identities(const std::string& root,
                           const partition_layout& layout,
                           const std::vector<std::string>& identities) {
  auto n = layout.paths.size();
  if (n == 0)
    return make_error(errc::invalid_argument, "a layout without partitions");
  if (n == 1)
    return {};
  if (auto err = check_given_identities(root, n, identities))
    return err;
  auto rec = read_layout(root);
  if (!rec)
    return std::move(rec.error());
  auto path = root_entry(root, layout_file_name);
  if (!*rec || (*rec)->count != n)
    return make_error(errc::storage_failure,
                      "the layout file " + path + " changed while the store "
                        + "of " + partition_count_text(n) + " was opening");
  auto& recorded = (*rec)->identities;
  if (!recorded.empty())
    return check_recorded_identities(root, recorded, identities);
  if (!layout.creating)
    return make_error(errc::storage_failure,
                      "the layout file " + path + " lost its identities "
                        + "while the store was opening");
  return write_layout(root, layout_record{n, identities});
}

} // namespace entact::storage::detail
