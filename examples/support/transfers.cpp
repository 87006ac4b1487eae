#include "support/transfers.hpp"

namespace example {

transfer_source::transfer_source(unsigned seed, size_t accounts,
                                 int64_t max_amount,
                                 std::optional<double> abandon_percent)
  : rng_(seed), account_(0, accounts - 1), amount_(1, max_amount) {
  if (abandon_percent)
    abandon_.emplace(*abandon_percent / 100);
}

transfer transfer_source::next() {
  transfer t;
  t.from = account_(rng_);
  do
    t.to = account_(rng_);
  while (t.to == t.from);
  t.amount = amount_(rng_);
  t.abandon = abandon_ && (*abandon_)(rng_);
  return t;
}

} // namespace example
