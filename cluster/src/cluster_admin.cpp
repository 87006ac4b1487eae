#include "entact/cluster/cluster_admin.hpp"

#include <algorithm>
#include <limits>
#include <map>

#include "entact/cluster/cluster_names.hpp"
#include "entact/cluster/move_record.hpp"
#include "entact/errc.hpp"

namespace entact::cluster {

namespace {

constexpr int max_assign_attempts = 8;

caf::error malformed(const std::string& path) {
  return make_error(errc::storage_failure,
                    "malformed cluster record at " + path
                      + " (not written by this version of entact?)");
}

caf::error read_config(zk_session& zk, const std::string& name,
                       uint32_t& shards) {
  std::string data;
  int32_t version = 0;
  auto path = layout::config(name);
  auto rc = zk.get(path, data, version);
  if (rc == ZNONODE)
    return make_error(errc::not_found, "no cluster '" + name + "'");
  if (rc != ZOK)
    return zk_session::failure(rc, "get", path);
  auto n = decode_config(data);
  if (!n)
    return malformed(path);
  shards = *n;
  return {};
}

caf::error read_members(zk_session& zk, const std::string& name,
                        std::vector<member>& out, bool watch) {
  std::vector<std::string> ids;
  auto dir = layout::members(name);
  if (auto rc = zk.children(dir, ids, watch); rc != ZOK)
    return zk_session::failure(rc, "get_children", dir);
  std::sort(ids.begin(), ids.end());
  for (auto& id : ids) {
    auto path = layout::member(name, id);
    if (validate_node_id(id))
      return malformed(path);
    std::string address;
    int32_t version = 0;
    auto rc = zk.get(path, address, version);
    if (rc == ZNONODE)
      continue; // its session ended since the listing
    if (rc != ZOK)
      return zk_session::failure(rc, "get", path);
    if (validate_address(address))
      return malformed(path);
    out.push_back(member{id, address});
  }
  return {};
}

caf::error read_map(zk_session& zk, const std::string& name, uint32_t shards,
                    std::vector<shard_entry>& out, bool watch) {
  for (uint32_t n = 0; n < shards; ++n) {
    auto path = layout::shard(name, n);
    std::string data;
    shard_entry entry;
    entry.shard = n;
    if (auto rc = zk.get(path, data, entry.zk_version, watch); rc != ZOK)
      return zk_session::failure(rc, "get", path);
    auto rec = decode_shard(data);
    if (!rec)
      return malformed(path);
    entry.record = std::move(*rec);
    out.push_back(std::move(entry));
  }
  return {};
}

/// The new owner of every shard never owned, balanced by load. A shard of
/// a node that is down keeps its owner: its data is in that node's store
/// (no replica yet), so it waits for the node instead of coming back empty
/// elsewhere. Moving it is a shard move (issue 13).
std::map<uint32_t, std::string> plan_assignment(const cluster_view& view) {
  std::map<std::string, size_t> load;
  for (auto& m : view.members)
    load[m.node_id] = 0;
  for (auto& e : view.map)
    if (view.is_live(e.record.owner))
      ++load[e.record.owner];
  std::map<uint32_t, std::string> plan;
  if (load.empty())
    return plan;
  for (auto& e : view.map) {
    if (!e.record.owner.empty())
      continue;
    // std::map iterates in id order: the first minimum is the smallest id.
    auto least = std::min_element(load.begin(), load.end(),
                                  [](auto& a, auto& b) {
                                    return a.second < b.second;
                                  });
    ++least->second;
    plan.emplace(e.shard, least->first);
  }
  return plan;
}

} // namespace

bool cluster_view::is_live(const std::string& node_id) const {
  return find_member(node_id) != nullptr;
}

const member* cluster_view::find_member(const std::string& node_id) const {
  for (auto& m : members)
    if (m.node_id == node_id)
      return &m;
  return nullptr;
}

caf::error create_cluster(zk_session& zk, const std::string& name,
                          uint32_t shards) {
  if (auto err = validate_cluster_name(name))
    return err;
  if (shards == 0 || shards > max_shards)
    return make_error(errc::invalid_argument,
                      "a cluster has 1.." + std::to_string(max_shards)
                        + " shards");
  auto root = layout::root();
  if (auto rc = zk.create(root, "", ZOO_PERSISTENT);
      rc != ZOK && rc != ZNODEEXISTS)
    return zk_session::failure(rc, "create", root);
  // Paths and data outlive the ops that point into them.
  std::vector<std::pair<std::string, std::string>> nodes;
  nodes.emplace_back(layout::cluster(name), "");
  nodes.emplace_back(layout::config(name), encode_config(shards));
  nodes.emplace_back(layout::members(name), "");
  nodes.emplace_back(layout::shards(name), "");
  nodes.emplace_back(layout::moves(name), "");
  for (uint32_t n = 0; n < shards; ++n)
    nodes.emplace_back(layout::shard(name, n), encode_shard({}));
  std::vector<zoo_op_t> ops(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i)
    zoo_create_op_init(&ops[i], nodes[i].first.c_str(),
                       nodes[i].second.data(),
                       static_cast<int>(nodes[i].second.size()),
                       &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, nullptr, 0);
  auto rc = zk.multi(ops);
  if (rc == ZNODEEXISTS)
    return make_error(errc::conflict, "cluster '" + name + "' exists already");
  if (rc != ZOK)
    return zk_session::failure(rc, "multi create", layout::cluster(name));
  return {};
}

caf::expected<cluster_view> read_cluster(zk_session& zk,
                                         const std::string& name, bool watch) {
  if (auto err = validate_cluster_name(name))
    return err;
  cluster_view view;
  view.name = name;
  if (auto err = read_config(zk, name, view.shards))
    return err;
  if (auto err = read_members(zk, name, view.members, watch))
    return err;
  if (auto err = read_map(zk, name, view.shards, view.map, watch))
    return err;
  return view;
}

caf::error register_member(zk_session& zk, const std::string& name,
                           const std::string& node_id,
                           const std::string& address) {
  if (auto err = validate_cluster_name(name))
    return err;
  if (auto err = validate_node_id(node_id))
    return err;
  if (auto err = validate_address(address))
    return err;
  uint32_t shards = 0;
  if (auto err = read_config(zk, name, shards))
    return err;
  auto path = layout::member(name, node_id);
  auto rc = zk.create(path, address, ZOO_EPHEMERAL);
  if (rc == ZNODEEXISTS)
    return make_error(errc::unavailable,
                      "node id '" + node_id
                        + "' is registered by another live session");
  if (rc != ZOK)
    return zk_session::failure(rc, "create", path);
  return {};
}

caf::expected<cluster_view> assign_unowned(zk_session& zk,
                                           const std::string& name) {
  caf::error last;
  for (int attempt = 0; attempt < max_assign_attempts; ++attempt) {
    auto view = read_cluster(zk, name);
    if (!view)
      return view.error();
    auto plan = plan_assignment(*view);
    if (plan.empty())
      return view;
    std::vector<std::string> paths;
    std::vector<std::string> data;
    paths.reserve(plan.size());
    data.reserve(plan.size());
    std::vector<zoo_op_t> ops(plan.size());
    size_t i = 0;
    for (auto& [shard, owner] : plan) {
      auto& entry = view->map[shard];
      if (entry.record.epoch == std::numeric_limits<uint64_t>::max())
        return make_error(errc::version_overflow,
                          "shard " + std::to_string(shard)
                            + " is at the last epoch");
      entry.record = shard_record{owner, entry.record.epoch + 1};
      paths.push_back(layout::shard(name, shard));
      data.push_back(encode_shard(entry.record));
      zoo_set_op_init(&ops[i], paths.back().c_str(), data.back().data(),
                      static_cast<int>(data.back().size()), entry.zk_version,
                      nullptr);
      ++entry.zk_version;
      ++i;
    }
    auto rc = zk.multi(ops);
    if (rc == ZOK)
      return view;
    if (rc != ZBADVERSION)
      return zk_session::failure(rc, "multi set", layout::shards(name));
    last = make_error(errc::conflict,
                      "another admin changed the map of '" + name + "'");
  }
  return make_retries_exhausted_error(max_assign_attempts, std::move(last));
}

caf::error set_shard_owner(zk_session& zk, const std::string& name,
                           const shard_entry& expected,
                           const std::string& owner) {
  if (auto err = validate_cluster_name(name))
    return err;
  if (!owner.empty())
    if (auto err = validate_node_id(owner))
      return err;
  if (expected.record.epoch == std::numeric_limits<uint64_t>::max())
    return make_error(errc::version_overflow, "the shard is at the last epoch");
  auto path = layout::shard(name, expected.shard);
  auto data = encode_shard({owner, expected.record.epoch + 1});
  auto rc = zoo_set(zk.handle(), path.c_str(), data.data(),
                    static_cast<int>(data.size()), expected.zk_version);
  if (rc == ZBADVERSION)
    return make_error(errc::conflict, "shard " + std::to_string(expected.shard)
                                        + " changed since it was read");
  if (rc != ZOK)
    return zk_session::failure(rc, "set", path);
  return {};
}

} // namespace entact::cluster
