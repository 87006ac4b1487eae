// The move records in ZooKeeper (move_record.hpp): how an admin starts or
// aborts a move and how the nodes step it on. Every write is versioned, so
// the target's flip, a side's abandoning and an admin's abort never both
// take effect.

#include "entact/cluster/move_admin.hpp"

#include <algorithm>
#include <limits>
#include <thread>

#include "entact/cluster/cluster_names.hpp"
#include "entact/errc.hpp"

namespace entact::cluster {

namespace {

caf::error moved_meanwhile(uint32_t shard) {
  return make_error(errc::conflict, "the move of shard "
                                      + std::to_string(shard)
                                      + " changed or ended meanwhile");
}

std::optional<uint32_t> shard_number(const std::string& text) {
  if (text.empty() || text.size() > 4
      || !std::all_of(text.begin(), text.end(),
                      [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return static_cast<uint32_t>(std::stoul(text));
}

caf::expected<move_entry> read_move(zk_session& zk, const std::string& name,
                                    uint32_t shard, bool watch) {
  auto path = layout::move(name, shard);
  std::string data;
  move_entry entry;
  entry.shard = shard;
  if (auto rc = zk.get(path, data, entry.zk_version, watch); rc != ZOK)
    return zk_session::failure(rc, "get", path);
  auto rec = decode_move(data);
  if (!rec)
    return make_error(errc::storage_failure,
                      "malformed move record at " + path);
  entry.record = std::move(*rec);
  return entry;
}

} // namespace

caf::expected<std::vector<move_entry>>
read_moves(zk_session& zk, const std::string& name, bool watch) {
  if (auto err = validate_cluster_name(name))
    return err;
  std::vector<std::string> names;
  auto dir = layout::moves(name);
  auto rc = zk.children(dir, names, watch);
  if (rc == ZNONODE)
    return std::vector<move_entry>{}; // a cluster made before moves
  if (rc != ZOK)
    return zk_session::failure(rc, "get_children", dir);
  std::vector<move_entry> out;
  for (auto& n : names) {
    auto shard = shard_number(n);
    if (!shard)
      return make_error(errc::storage_failure,
                        "malformed move record name " + dir + "/" + n);
    auto entry = read_move(zk, name, *shard, watch);
    if (!entry && code_of(entry.error()) == errc::not_found)
      continue; // ended since the listing
    if (!entry)
      return entry.error();
    out.push_back(std::move(*entry));
  }
  std::sort(out.begin(), out.end(),
            [](auto& a, auto& b) { return a.shard < b.shard; });
  return out;
}

caf::expected<move_entry> start_move(zk_session& zk, const std::string& name,
                                     uint32_t shard, const std::string& to) {
  if (auto err = validate_node_id(to))
    return err;
  auto view = read_cluster(zk, name);
  if (!view)
    return view.error();
  if (shard >= view->shards)
    return make_error(errc::invalid_argument,
                      "cluster '" + name + "' has no shard "
                        + std::to_string(shard) + " (it has "
                        + std::to_string(view->shards) + ")");
  auto& entry = view->map[shard];
  auto& from = entry.record.owner;
  if (from.empty())
    return make_error(errc::invalid_argument,
                      "shard " + std::to_string(shard)
                        + " has no owner yet: nothing to move");
  if (from == to)
    return make_error(errc::invalid_argument,
                      "shard " + std::to_string(shard) + " is on " + to
                        + " already");
  if (!view->is_live(to))
    return make_error(errc::unavailable, "node " + to
                                           + " is not a live member");
  if (!view->is_live(from))
    return make_error(errc::unavailable,
                      "the owner " + from + " of shard "
                        + std::to_string(shard) + " is not a live member");
  auto dir = layout::moves(name);
  if (auto rc = zk.create(dir, "", ZOO_PERSISTENT);
      rc != ZOK && rc != ZNODEEXISTS)
    return zk_session::failure(rc, "create", dir);
  move_entry move{shard, move_record{from, to, entry.record.epoch,
                                     move_state::copying},
                  0};
  auto shard_path = layout::shard(name, shard);
  auto path = layout::move(name, shard);
  auto data = encode_move(move.record);
  std::vector<zoo_op_t> ops(2);
  zoo_check_op_init(&ops[0], shard_path.c_str(), entry.zk_version);
  zoo_create_op_init(&ops[1], path.c_str(), data.data(),
                     static_cast<int>(data.size()), &ZOO_OPEN_ACL_UNSAFE,
                     ZOO_PERSISTENT, nullptr, 0);
  auto rc = zk.multi(ops);
  if (rc == ZNODEEXISTS)
    return make_error(errc::conflict, "a move of shard "
                                        + std::to_string(shard)
                                        + " is in progress already");
  if (rc == ZBADVERSION)
    return make_error(errc::conflict, "shard " + std::to_string(shard)
                                        + " changed since it was read");
  if (rc != ZOK)
    return zk_session::failure(rc, "multi create", path);
  return move;
}

caf::error abort_move(zk_session& zk, const std::string& name,
                      uint32_t shard) {
  if (auto err = validate_cluster_name(name))
    return err;
  auto move = read_move(zk, name, shard, false);
  if (!move && code_of(move.error()) == errc::not_found)
    return make_error(errc::not_found, "no move of shard "
                                         + std::to_string(shard)
                                         + " is in progress");
  if (!move)
    return move.error();
  return drop_move(zk, name, *move);
}

caf::error set_move_state(zk_session& zk, const std::string& name,
                          const move_entry& move, move_state next) {
  auto rec = move.record;
  rec.state = next;
  auto path = layout::move(name, move.shard);
  auto data = encode_move(rec);
  auto rc = zoo_set(zk.handle(), path.c_str(), data.data(),
                    static_cast<int>(data.size()), move.zk_version);
  if (rc == ZBADVERSION || rc == ZNONODE)
    return moved_meanwhile(move.shard);
  if (rc != ZOK)
    return zk_session::failure(rc, "set", path);
  return {};
}

caf::error drop_move(zk_session& zk, const std::string& name,
                     const move_entry& move) {
  auto path = layout::move(name, move.shard);
  auto rc = zoo_delete(zk.handle(), path.c_str(), move.zk_version);
  if (rc == ZBADVERSION || rc == ZNONODE)
    return moved_meanwhile(move.shard);
  if (rc != ZOK)
    return zk_session::failure(rc, "delete", path);
  return {};
}

caf::error finish_move(zk_session& zk, const std::string& name,
                       const move_entry& move, const shard_entry& shard) {
  if (shard.record.owner != move.record.from
      || shard.record.epoch != move.record.epoch)
    return make_error(errc::conflict,
                      "shard " + std::to_string(move.shard)
                        + " changed owner since its move began");
  if (shard.record.epoch == std::numeric_limits<uint64_t>::max())
    return make_error(errc::version_overflow, "the shard is at the last epoch");
  auto shard_path = layout::shard(name, move.shard);
  auto move_path = layout::move(name, move.shard);
  auto data = encode_shard({move.record.to, shard.record.epoch + 1});
  std::vector<zoo_op_t> ops(2);
  zoo_set_op_init(&ops[0], shard_path.c_str(), data.data(),
                  static_cast<int>(data.size()), shard.zk_version, nullptr);
  zoo_delete_op_init(&ops[1], move_path.c_str(), move.zk_version);
  auto rc = zk.multi(ops);
  if (rc == ZBADVERSION || rc == ZNONODE)
    return moved_meanwhile(move.shard);
  if (rc != ZOK)
    return zk_session::failure(rc, "multi flip", shard_path);
  return {};
}

caf::expected<shard_entry> await_move_end(zk_session& zk,
                                          const std::string& name,
                                          uint32_t shard,
                                          std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto moves = read_moves(zk, name);
    if (!moves)
      return moves.error();
    auto going = std::any_of(moves->begin(), moves->end(),
                             [&](auto& m) { return m.shard == shard; });
    if (!going)
      break;
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(errc::timeout, "the move of shard "
                                         + std::to_string(shard)
                                         + " is still in progress");
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  auto view = read_cluster(zk, name);
  if (!view)
    return view.error();
  if (shard >= view->map.size())
    return make_error(errc::invalid_argument,
                      "cluster '" + name + "' has no shard "
                        + std::to_string(shard));
  return view->map[shard];
}

caf::expected<shard_entry> await_move_to(zk_session& zk,
                                         const std::string& name,
                                         uint32_t shard, const std::string& to,
                                         std::chrono::milliseconds limit) {
  auto entry = await_move_end(zk, name, shard, limit);
  if (entry && entry->record.owner != to)
    return make_error(errc::conflict, "the move of shard "
                                        + std::to_string(shard)
                                        + " was abandoned: it stays on "
                                        + entry->record.owner);
  return entry;
}

} // namespace entact::cluster
