// The transfers a bank user makes: drawn at random, the same every run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>

namespace example {

/// One transfer: `amount` from account `from` to another account `to`.
struct transfer {
  size_t from = 0;
  size_t to = 0;
  int64_t amount = 0;
  bool abandon = false; // the user walks away mid-transfer
};

/// Draws one user's transfers between `accounts` accounts, of 1 to
/// `max_amount` each, from a generator seeded with `seed`: the same
/// sequence in every mode and every run. Given `abandon_percent`, it also
/// draws whether the user abandons each transfer.
class transfer_source {
public:
  transfer_source(unsigned seed, size_t accounts, int64_t max_amount,
                  std::optional<double> abandon_percent = std::nullopt);

  transfer next();

private:
  std::minstd_rand rng_;
  std::uniform_int_distribution<size_t> account_;
  std::uniform_int_distribution<int64_t> amount_;
  std::optional<std::bernoulli_distribution> abandon_;
};

} // namespace example
