#include "entact/cluster/move_record.hpp"

#include <nlohmann/json.hpp>

#include "entact/cluster/cluster_layout.hpp"
#include "entact/cluster/cluster_names.hpp"

namespace entact::cluster {

namespace layout {

std::string moves(std::string_view name) {
  return cluster(name) + "/moves";
}

std::string move(std::string_view name, uint32_t n) {
  return moves(name) + "/" + std::to_string(n);
}

} // namespace layout

namespace {

constexpr const char* state_names[] = {"copying", "freeze-requested",
                                       "frozen"};

std::optional<move_state> state_of(const std::string& text) {
  for (int i = 0; i < 3; ++i)
    if (text == state_names[i])
      return static_cast<move_state>(i);
  return std::nullopt;
}

} // namespace

const char* to_string(move_state x) noexcept {
  return state_names[static_cast<int>(x)];
}

std::string encode_move(const move_record& rec) {
  return nlohmann::json{{"format", layout::format},
                        {"from", rec.from},
                        {"to", rec.to},
                        {"epoch", rec.epoch},
                        {"state", to_string(rec.state)}}
    .dump();
}

std::optional<move_record> decode_move(std::string_view data) {
  auto j = nlohmann::json::parse(data.begin(), data.end(), nullptr, false);
  if (!j.is_object())
    return std::nullopt;
  auto f = j.find("format");
  if (f == j.end() || !f->is_number_integer()
      || f->get<int64_t>() != layout::format)
    return std::nullopt;
  auto from = j.find("from");
  auto to = j.find("to");
  auto epoch = j.find("epoch");
  auto state = j.find("state");
  if (from == j.end() || !from->is_string() || to == j.end()
      || !to->is_string() || epoch == j.end() || !epoch->is_number_unsigned()
      || state == j.end() || !state->is_string())
    return std::nullopt;
  move_record rec{from->get<std::string>(), to->get<std::string>(),
                  epoch->get<uint64_t>(), move_state::copying};
  auto st = state_of(state->get<std::string>());
  if (!st || validate_node_id(rec.from) || validate_node_id(rec.to))
    return std::nullopt;
  rec.state = *st;
  return rec;
}

} // namespace entact::cluster
