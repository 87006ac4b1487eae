#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace entact::cluster {

/// Where a shard move in progress is kept (one znode per shard moving):
///
///     /entact/<cluster>/moves/<n>  {"from":..,"to":..,"epoch":E,"state":..}
///
/// Its existence is the move: the admin creates it, the target deletes it
/// in the same multi-op that flips the map, and an abort deletes it.
namespace layout {

std::string moves(std::string_view name);
std::string move(std::string_view name, uint32_t n);

} // namespace layout

/// The steps of a move, each written by the side that finished the one
/// before (README, "Moving a shard").
enum class move_state {
  /// The target copies the shard from the source while it is written.
  copying,
  /// The target has a copy and asks the source to stop writing the shard.
  freeze_requested,
  /// The source refuses every call on the shard and every write of it is
  /// durable: the target catches up, then flips the map.
  frozen,
};

const char* to_string(move_state x) noexcept;

/// A move of one shard from its owner `from` (at `epoch`, the shard's epoch
/// when the move began) to `to`.
struct move_record {
  std::string from;
  std::string to;
  uint64_t epoch = 0;
  move_state state = move_state::copying;
};

std::string encode_move(const move_record& rec);

/// A move record; nullopt for anything malformed (bad node ids, unknown
/// state, another format).
std::optional<move_record> decode_move(std::string_view data);

} // namespace entact::cluster
