#pragma once

#include <functional>
#include <string>

#include <caf/expected.hpp>

#include "entact/client.hpp"
#include "entact/twopc.hpp"

namespace entact {

/// What `engine_options::twopc_ask` is: asks decision holder `holder` for
/// the outcome of transaction `txn`.
using decision_asker = std::function<caf::expected<twopc_outcome>(
  const std::string& holder, const std::string& txn)>;

/// A `twopc_ask` that takes the holder's name for its address,
/// "host:port", connects to it with `base`'s TLS and deadlines (its host
/// and port replaced), asks `client::decision_of` and disconnects. Errors:
/// `invalid_argument` (a name that is not "host:port"), and those of
/// `connect` and `decision_of` (`unreachable`, `timeout`, ...): the
/// participant keeps the transaction prepared and asks again later.
decision_asker decision_dialer(client_options base);

/// What `engine_options::twopc_check_prepared` is: asks participant
/// `participant` whether it still holds transaction `txn` prepared.
using prepared_checker = std::function<caf::expected<bool>(
  const std::string& participant, const std::string& txn)>;

/// A `twopc_check_prepared` that dials the participant's name as
/// `decision_dialer` dials a holder's, asks
/// `client::prepared_transactions` and answers whether `txn` is among
/// them. Errors: as `decision_dialer`'s: the holder keeps the decision
/// and asks again later.
prepared_checker prepared_dialer(client_options base);

} // namespace entact
