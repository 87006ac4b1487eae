#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/move_record.hpp"
#include "entact/cluster/zk_session.hpp"

namespace entact::cluster {

/// One move in progress as read, with the znode version a versioned update
/// must name.
struct move_entry {
  uint32_t shard = 0;
  move_record record;
  int32_t zk_version = 0;
};

/// The moves in progress of cluster `name`, by shard. With `watch`, `zk`'s
/// `on_change` hears when one starts or ends and when each changes state.
/// Errors: `errc::storage_failure` (a malformed record), `errc::unavailable`.
caf::expected<std::vector<move_entry>>
read_moves(zk_session& zk, const std::string& name, bool watch = false);

/// Starts moving shard `shard` from its owner to `to`: writes the move
/// record (state `copying`), in one multi-op that also checks the shard
/// has not changed since it was read. Moves no data itself: the nodes do
/// (cluster_node). Errors (nothing written): `errc::invalid_argument`
/// (bad id, a shard the cluster does not have, a shard never owned, `to`
/// already owns it), `errc::unavailable` (`to` or the owner is not a live
/// member; ZooKeeper), `errc::conflict` (a move of the shard is already in
/// progress, or the map changed meanwhile), those of `read_cluster`.
caf::expected<move_entry> start_move(zk_session& zk, const std::string& name,
                                     uint32_t shard, const std::string& to);

/// Ends the move of `shard` without flipping the map: deletes its record.
/// The source serves the shard again; whatever the target copied is left
/// in its store, harmless (a later copy installs newer-only over it).
/// Errors: `errc::not_found` (no move of it in progress: finished or
/// never started), `errc::conflict` (it changed meanwhile: retry),
/// `errc::unavailable`.
caf::error abort_move(zk_session& zk, const std::string& name,
                      uint32_t shard);

/// Sets `move`'s state to `next`, only if its record is still at
/// `move.zk_version`. Errors: `errc::conflict` (changed or gone),
/// `errc::unavailable`, `errc::storage_failure`.
caf::error set_move_state(zk_session& zk, const std::string& name,
                          const move_entry& move, move_state next);

/// Deletes `move`'s record if it is still at `move.zk_version` (a side
/// abandoning a move whose other side is gone). Errors as `set_move_state`.
caf::error drop_move(zk_session& zk, const std::string& name,
                     const move_entry& move);

/// Flips the map: the shard's owner becomes `move.record.to` at epoch + 1
/// and the move record is deleted, in one multi-op of versioned writes, so
/// that an abort or another admin's change in between makes it fail whole.
/// Errors: `errc::conflict` (nothing written), `errc::version_overflow`,
/// `errc::unavailable`, `errc::storage_failure`.
caf::error finish_move(zk_session& zk, const std::string& name,
                       const move_entry& move, const shard_entry& shard);

/// Waits (at most `limit`, reading the moves every 50 ms) until no move
/// of `shard` is in progress, and returns the shard as it is then: moved,
/// or not if the move was aborted or dropped. Errors: `errc::timeout` (the
/// move is still in progress; it goes on), those of `read_moves` and
/// `read_cluster`.
caf::expected<shard_entry> await_move_end(zk_session& zk,
                                          const std::string& name,
                                          uint32_t shard,
                                          std::chrono::milliseconds limit);

/// `await_move_end`, and the shard must be on `to` then. Errors: those of
/// `await_move_end`; `errc::conflict` (the move was abandoned -- aborted,
/// or dropped by a side because the other is gone or a prepared
/// transaction holds the shard -- and the shard stays on its owner).
caf::expected<shard_entry> await_move_to(zk_session& zk,
                                         const std::string& name,
                                         uint32_t shard, const std::string& to,
                                         std::chrono::milliseconds limit);

} // namespace entact::cluster
