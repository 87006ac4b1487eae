#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "entact/cluster/cluster_layout.hpp"
#include "entact/cluster/zk_session.hpp"

namespace entact::cluster {

/// A live member: a node with a session, and the address it serves on.
struct member {
  std::string node_id;
  std::string address;
};

/// One shard of the map as read, with the znode version a versioned
/// update must name.
struct shard_entry {
  uint32_t shard = 0;
  shard_record record;
  int32_t zk_version = 0;
};

/// A consistent-enough snapshot of a cluster: its shard count, the live
/// members (sorted by id) and the map (indexed by shard).
struct cluster_view {
  std::string name;
  uint32_t shards = 0;
  std::vector<member> members;
  std::vector<shard_entry> map;

  /// True if `node_id` is a live member.
  bool is_live(const std::string& node_id) const;

  /// The member `node_id`, or nullptr.
  const member* find_member(const std::string& node_id) const;
};

/// Creates cluster `name` with `shards` shards (1..max_shards), all
/// unowned at epoch 0, in one atomic multi-op. Errors:
/// `errc::invalid_argument` (bad name, bad count), `errc::conflict` (the
/// cluster exists already; like a create-if-absent, nothing is changed),
/// `errc::unavailable` (ZooKeeper).
caf::error create_cluster(zk_session& zk, const std::string& name,
                          uint32_t shards);

/// Reads cluster `name`: config, members, the whole map. Errors:
/// `errc::invalid_argument` (bad name), `errc::not_found` (no such
/// cluster), `errc::storage_failure` (malformed records in ZooKeeper: a
/// foreign format or damaged data is refused, never guessed at),
/// `errc::unavailable` (ZooKeeper).
///
/// With `watch`, the read also sets ZooKeeper watches on the member list
/// and on every shard record, so that `zk`'s `on_change` hears of the next
/// member that comes or goes and the next change of the map (read again,
/// with `watch`, to hear of the one after).
caf::expected<cluster_view> read_cluster(zk_session& zk,
                                         const std::string& name,
                                         bool watch = false);

/// Registers `node_id` as a live member of `name`, serving at `address`: an
/// EPHEMERAL znode that lives as long as `zk`'s session. Errors:
/// `errc::invalid_argument` (bad id or address), `errc::not_found` (no such
/// cluster), `errc::unavailable` (the id is held by another live session --
/// an earlier incarnation whose session has not expired yet: retry after
/// the session timeout -- or ZooKeeper is unreachable).
caf::error register_member(zk_session& zk, const std::string& name,
                           const std::string& node_id,
                           const std::string& address);

/// Gives every shard that has never had an owner to a live member,
/// balanced: each goes to the member owning the fewest shards (ties: the
/// smallest id), so from an empty map the counts differ by at most one. A
/// shard whose owner is down keeps it (its data is in that node's store):
/// it is unavailable until the node is back; moving it is issue 13's. Each change bumps
/// the shard's epoch by one; all changes are one multi-op of versioned
/// sets, so a concurrent admin's change is never overwritten: on a version
/// clash it re-reads and tries again (at most 8 times). Returns the map
/// after its change (unchanged if there is no live member or nothing to
/// assign). Errors: those of `read_cluster`; `errc::retries_exhausted`
/// (clashed every time), `errc::version_overflow` (an epoch at its max).
caf::expected<cluster_view> assign_unowned(zk_session& zk,
                                           const std::string& name);

/// Sets shard `shard`'s owner to `owner` at epoch + 1, only if its znode is
/// still at `expected.zk_version` (what the caller read). Errors:
/// `errc::conflict` (someone changed the shard since: nothing written),
/// `errc::invalid_argument`, `errc::version_overflow`,
/// `errc::unavailable`.
caf::error set_shard_owner(zk_session& zk, const std::string& name,
                           const shard_entry& expected,
                           const std::string& owner);

} // namespace entact::cluster
