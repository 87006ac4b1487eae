#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

// How a data directory records that it holds N partitions (N RocksDB
// directories, each with its own WAL and committer), and how opening it
// refuses every mismatch. A store of one partition is today's layout: the
// RocksDB directory is the root itself and there is no layout file. A
// store of N > 1 holds root/p0 .. root/p<N-1> and root/ENTACT-PARTITIONS:
//
//   entact-partitions 1
//   count 4
//   identity 0 <RocksDB identity of p0>
//   ...
//   identity 3 <RocksDB identity of p3>
//
// The file is written before any partition exists (count only) and again
// once every partition has been created (with the identities), each time
// atomically (a synced temp file renamed over it, then the directory
// synced). A file without identities is a creation that was cut short:
// no write was ever acknowledged, so finishing it is safe.

namespace entact::storage::detail {

/// The most partitions a store can have.
constexpr size_t max_partitions = 64;

/// Where the partitions of a store live.
struct partition_layout {
  /// One path per partition, in partition order: {root} itself for a store
  /// of one partition (today's layout, unchanged); root/p0 .. root/p<N-1>
  /// otherwise.
  std::vector<std::string> paths;
  /// True if the identities are not recorded yet (a new store, or a
  /// creation cut short): the caller opens (creates) every partition and
  /// then calls `record_or_check_identities`.
  bool creating = false;
};

/// Decides the layout of the store at `root` for `requested` partitions
/// (0: whatever the directory holds, 1 for a new one), before any RocksDB
/// is opened. Changes nothing on disk except for a new multi-partition
/// store: it creates `root` and durably writes the layout file (count only)
/// before any partition exists. A directory that is not an entact store
/// is left to the single store's own refusal for `requested` 0 or 1.
/// Errors (nothing changed): `invalid_argument` (empty `root`; a partition
/// count other than the one the store was created with; `requested` > 1
/// for a directory that is not an entact store), `too_large` (`requested`
/// > `max_partitions`), `storage_failure` (an unreadable or damaged layout
/// file, a partition directory of a fully created store missing or not
/// holding a database, I/O errors).
caf::expected<partition_layout> resolve_layout(const std::string& root,
                                               size_t requested);

/// Once every partition is open: for a `creating` layout, durably records
/// each partition's RocksDB identity (`identities`, from
/// `rocksdb::DB::GetDbIdentity`, in partition order); otherwise checks them
/// against what is recorded. For a one-partition layout it does nothing
/// (the single store's own checks apply). Errors (nothing changed):
/// `invalid_argument` (not one usable identity per partition; two
/// partitions with the same identity; a partition whose identity is not
/// the recorded one: its directory was swapped, replaced or copied from
/// another store -- the message names it), `storage_failure` (the layout
/// file is unreadable, damaged, or changed since `resolve_layout`; I/O
/// errors).
caf::error
record_or_check_identities(const std::string& root,
                           const partition_layout& layout,
                           const std::vector<std::string>& identities);

} // namespace entact::storage::detail
