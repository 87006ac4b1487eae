#include "support/ledger.hpp"

#include <algorithm>

#include "support/records.hpp"

namespace example {

ledger::ledger(size_t users, size_t accounts)
  : accounts_(accounts), delta_(users, std::vector<int64_t>(accounts)),
    unknown_(users) {
}

void ledger::transfer(unsigned u, size_t from, size_t to, int64_t amount) {
  delta_[u][from] -= amount;
  delta_[u][to] += amount;
}

void ledger::outcome_unknown(unsigned u) {
  unknown_[u] = 1;
}

bool ledger::exact() const {
  return std::none_of(unknown_.begin(), unknown_.end(),
                      [](char x) { return x != 0; });
}

std::vector<int64_t> ledger::expected(int64_t initial) const {
  std::vector<int64_t> balances(accounts_, initial);
  for (auto& user : delta_)
    for (size_t i = 0; i < user.size(); ++i)
      balances[i] += user[i];
  return balances;
}

audit audit_balances(entact::database& db,
                     const std::vector<entact::entity_id>& ids,
                     const ledger& book, int64_t initial,
                     problem_log& problems) {
  audit result;
  result.expected_total = initial * static_cast<int64_t>(ids.size());
  result.exact = book.exact();
  auto recs = db.read_many(ids);
  if (!recs) {
    problems.add("read_many (final)", recs.error());
    return result;
  }
  auto expected = book.expected(initial);
  result.complete = true;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto n = number_of((*recs)[i]);
    if (!n) {
      problems.add(ids[i] + " holds no balance at the end");
      result.complete = false;
      continue;
    }
    result.total += *n;
    result.differ += *n != expected[i] ? 1 : 0;
    result.overdrawn += *n < 0 ? 1 : 0;
  }
  return result;
}

} // namespace example
