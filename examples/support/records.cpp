#include "support/records.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>

#include <entact/resolve.hpp>

namespace example {

std::vector<entact::entity_id> ids_of(const std::string& prefix, unsigned n) {
  std::vector<entact::entity_id> ids;
  ids.reserve(n);
  for (unsigned i = 0; i < n; ++i)
    ids.push_back(prefix + std::to_string(i));
  return ids;
}

std::optional<int64_t> number_of(const entact::record& rec) {
  int64_t n = 0;
  auto& v = rec.value;
  auto last = v.data() + v.size();
  auto [end, ec] = std::from_chars(v.data(), last, n);
  if (!rec.exists() || ec != std::errc{} || end != last)
    return std::nullopt;
  return n;
}

bool set_each(entact::database& db, const std::vector<entact::entity_id>& ids,
              const std::string& value, problem_log& problems) {
  bool ok = true;
  for (auto& id : ids) {
    auto rec = entact::read_modify_write(
      db, id, [&](const entact::record&) { return std::optional{value}; });
    if (!rec) {
      problems.add("reset " + id, rec.error());
      ok = false;
    }
  }
  return ok;
}

bool set_in_batches(entact::database& db,
                    const std::vector<entact::entity_id>& ids,
                    const std::string& value, size_t batch,
                    problem_log& problems) {
  auto recs = db.read_many(ids);
  if (!recs) {
    problems.add("read_many (reset)", recs.error());
    return false;
  }
  for (size_t first = 0; first < ids.size(); first += batch) {
    std::vector<entact::write_op> ops;
    for (size_t i = first; i < std::min(ids.size(), first + batch); ++i) {
      auto& rec = (*recs)[i];
      ops.push_back(rec.exists()
                      ? entact::write_op::update(ids[i], rec.version, value)
                      : entact::write_op::create(ids[i], value));
    }
    if (auto done = db.apply_batch(std::move(ops)); !done) {
      problems.add("apply_batch (reset)", done.error());
      return false;
    }
  }
  return true;
}

} // namespace example
