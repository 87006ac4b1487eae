#pragma once

#include <cstdarg>
#include <mutex>
#include <string>
#include <vector>

#include <rocksdb/env.h>

namespace entact::storage::detail {

/// A RocksDB info log that writes no file and keeps what recovery says it
/// dropped: the WAL reporter's "<log>: dropping N bytes; Corruption: ..."
/// and point-in-time recovery's "recovered to log #N seq #M". Used for the
/// read-only look at a directory before it is opened: that look must not
/// leave a LOG file behind, and its findings go into the error or the
/// salvage report.
class recovery_log : public rocksdb::Logger {
public:
  using rocksdb::Logger::Logv;

  void Logv(const char* format, va_list ap) override;

  /// The lines kept so far, without RocksDB's `[file:line]` prefixes.
  std::vector<std::string> lines() const;

private:
  mutable std::mutex mtx_;
  std::vector<std::string> lines_;
};

} // namespace entact::storage::detail
