#pragma once

#include <chrono>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "entact/cluster/cluster_admin.hpp"
#include "entact/cluster/rebalance_plan.hpp"
#include "entact/cluster/zk_session.hpp"

namespace entact::cluster {

/// Waits for every move in progress in cluster `name` to end (each at most
/// `limit`): a rebalance plans from a map no move is about to change.
/// Errors: those of `read_moves` and `await_move_end` (`errc::timeout`: a
/// move is still in progress).
caf::error await_moves_end(zk_session& zk, const std::string& name,
                           std::chrono::milliseconds limit);

/// Runs one move of a plan through the move machinery, as `entact cluster
/// move --wait-ms` does: checks that the shard is still on `move.from`,
/// starts the move (`start_move`) and waits at most `limit` for the flip
/// (`await_move_to`). Returns the shard on `move.to`. Errors:
/// `errc::conflict` (the shard is on another node now: the map changed
/// since the plan; or a move of it is in progress; or the move was
/// abandoned), `errc::timeout` (still in progress: it goes on), those of
/// `start_move`.
caf::expected<shard_entry> run_planned_move(zk_session& zk,
                                            const std::string& name,
                                            const planned_move& move,
                                            std::chrono::milliseconds limit);

} // namespace entact::cluster
