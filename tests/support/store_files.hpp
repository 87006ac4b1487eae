#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <rocksdb/db.h>

#include "entact/storage/record_codec.hpp"

// Tools for tests that damage or fake a store directory on disk: a snapshot
// of its files, its write-ahead logs, and writes made with RocksDB alone.

namespace entact::test {

/// Every regular file below `dir` (relative name -> contents): two equal
/// snapshots mean nothing in the directory changed.
inline std::map<std::string, std::string>
snapshot_files(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file())
      continue;
    std::ifstream in{e.path(), std::ios::binary};
    files[std::filesystem::relative(e.path(), dir).string()]
      = std::string{std::istreambuf_iterator<char>{in}, {}};
  }
  return files;
}

/// The RocksDB write-ahead logs (`*.log`) in `dir`, oldest first.
inline std::vector<std::filesystem::path> wal_files(const std::string& dir) {
  std::vector<std::filesystem::path> logs;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".log")
      logs.push_back(e.path());
  std::sort(logs.begin(), logs.end());
  return logs;
}

/// Total size of the write-ahead logs in `dir`.
inline uintmax_t wal_bytes(const std::string& dir) {
  uintmax_t total = 0;
  for (const auto& log : wal_files(dir))
    total += std::filesystem::file_size(log);
  return total;
}

/// Cuts every non-empty write-ahead log in `dir` to `keep(size)` bytes.
template <class Keep>
void truncate_wals(const std::string& dir, Keep keep) {
  for (const auto& log : wal_files(dir))
    if (auto size = std::filesystem::file_size(log); size > 0)
      std::filesystem::resize_file(log, keep(size));
}

/// Flips one bit of the first occurrence of `needle` in a write-ahead log
/// of `dir` (inside a record's payload: its checksum no longer matches).
/// Returns the log's path; throws if no log holds `needle`.
inline std::string flip_bit_in_wal(const std::string& dir,
                                   const std::string& needle) {
  for (const auto& log : wal_files(dir)) {
    std::fstream f{log, std::ios::in | std::ios::out | std::ios::binary};
    std::string bytes{std::istreambuf_iterator<char>{f}, {}};
    auto at = bytes.find(needle);
    if (at == std::string::npos)
      continue;
    f.seekp(static_cast<std::streamoff>(at));
    f.put(static_cast<char>(bytes[at] ^ 0x01));
    if (!f)
      throw std::runtime_error("cannot write " + log.string());
    return log.string();
  }
  throw std::runtime_error("no write-ahead log in " + dir + " holds "
                           + needle);
}

/// Opens `path` with plain RocksDB (no entact), throws on failure.
inline std::unique_ptr<rocksdb::DB> open_raw(const std::string& path,
                                             bool create = false) {
  rocksdb::Options options;
  options.create_if_missing = create;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(options, path, &raw);
  if (!s.ok())
    throw std::runtime_error("cannot open " + path + ": " + s.ToString());
  return std::unique_ptr<rocksdb::DB>{raw};
}

/// The id of the `i`-th record written by `write_only_to_wal`, and its value.
inline std::string wal_id(int i) {
  return "k/" + std::to_string(i);
}

inline std::string wal_value(int i) {
  return "value-" + std::to_string(i) + "-of-the-log";
}

/// What a crash leaves behind: `n` acknowledged records (`wal_id(i)` at
/// version 1), each its own synced write, that live only in the
/// write-ahead log of the store at `path` (plain RocksDB does not flush on
/// close). The store must exist and be closed.
inline void write_only_to_wal(const std::string& path, int n) {
  auto db = open_raw(path);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  for (int i = 0; i < n; ++i) {
    auto s = db->Put(wo, storage::entity_key(wal_id(i)),
                     storage::encode_record(record{wal_id(i), 1, wal_value(i)}));
    if (!s.ok())
      throw std::runtime_error("write failed: " + s.ToString());
  }
}

} // namespace entact::test
