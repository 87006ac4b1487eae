#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace entact::cluster {

/// Where a cluster keeps its state in ZooKeeper:
///
///     /entact/<cluster>/config          {"format":1,"shards":N}
///     /entact/<cluster>/members/<node>  EPHEMERAL, data "host:port"
///     /entact/<cluster>/shards/<n>      {"owner":"<node>","epoch":E}
///
/// The shard count is fixed at creation. A shard's epoch grows by one with
/// every change of its owner, written with a versioned set, so two admins
/// never overwrite each other's change.
namespace layout {

/// The format of the records below; a reader refuses any other.
constexpr int format = 1;

std::string root();
std::string cluster(std::string_view name);
std::string config(std::string_view name);
std::string members(std::string_view name);
std::string member(std::string_view name, std::string_view node_id);
std::string shards(std::string_view name);
std::string shard(std::string_view name, uint32_t n);

} // namespace layout

/// The most shards a cluster may have (a map of this many records is still
/// one small ZooKeeper multi-op to create).
constexpr uint32_t max_shards = 1024;

/// A shard's record: its owner ("" for none) and its epoch.
struct shard_record {
  std::string owner;
  uint64_t epoch = 0;
};

std::string encode_config(uint32_t shards);

/// The shard count of a config record; nullopt for anything malformed, of
/// another format or with a count outside 1..max_shards.
std::optional<uint32_t> decode_config(std::string_view data);

std::string encode_shard(const shard_record& rec);

/// A shard record; nullopt for anything malformed (including an owner that
/// is neither empty nor a valid node id).
std::optional<shard_record> decode_shard(std::string_view data);

} // namespace entact::cluster
