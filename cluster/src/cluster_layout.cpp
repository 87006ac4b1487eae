#include "entact/cluster/cluster_layout.hpp"

#include <nlohmann/json.hpp>

#include "entact/cluster/cluster_names.hpp"

namespace entact::cluster {

namespace layout {

std::string root() {
  return "/entact";
}

std::string cluster(std::string_view name) {
  return root() + "/" + std::string{name};
}

std::string config(std::string_view name) {
  return cluster(name) + "/config";
}

std::string members(std::string_view name) {
  return cluster(name) + "/members";
}

std::string member(std::string_view name, std::string_view node_id) {
  return members(name) + "/" + std::string{node_id};
}

std::string shards(std::string_view name) {
  return cluster(name) + "/shards";
}

std::string shard(std::string_view name, uint32_t n) {
  return shards(name) + "/" + std::to_string(n);
}

} // namespace layout

namespace {

/// Parses without exceptions; a discarded value for malformed text.
nlohmann::json parse(std::string_view data) {
  return nlohmann::json::parse(data.begin(), data.end(), nullptr, false);
}

bool has_format(const nlohmann::json& j) {
  auto f = j.find("format");
  return f != j.end() && f->is_number_integer()
         && f->get<int64_t>() == layout::format;
}

} // namespace

std::string encode_config(uint32_t shards) {
  return nlohmann::json{{"format", layout::format}, {"shards", shards}}.dump();
}

std::optional<uint32_t> decode_config(std::string_view data) {
  auto j = parse(data);
  if (!j.is_object() || !has_format(j))
    return std::nullopt;
  auto s = j.find("shards");
  if (s == j.end() || !s->is_number_unsigned())
    return std::nullopt;
  auto n = s->get<uint64_t>();
  if (n == 0 || n > max_shards)
    return std::nullopt;
  return static_cast<uint32_t>(n);
}

std::string encode_shard(const shard_record& rec) {
  return nlohmann::json{{"format", layout::format},
                        {"owner", rec.owner},
                        {"epoch", rec.epoch}}
    .dump();
}

std::optional<shard_record> decode_shard(std::string_view data) {
  auto j = parse(data);
  if (!j.is_object() || !has_format(j))
    return std::nullopt;
  auto owner = j.find("owner");
  auto epoch = j.find("epoch");
  if (owner == j.end() || !owner->is_string() || epoch == j.end()
      || !epoch->is_number_unsigned())
    return std::nullopt;
  shard_record rec{owner->get<std::string>(), epoch->get<uint64_t>()};
  if (!rec.owner.empty() && validate_node_id(rec.owner))
    return std::nullopt;
  return rec;
}

} // namespace entact::cluster
