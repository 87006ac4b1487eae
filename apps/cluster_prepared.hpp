#pragma once

// `entact cluster status`'s view of the prepared (in-doubt) transactions:
// each live member is asked through its front door
// (`client::prepared_transactions()`), within a deadline, so that a member
// that does not answer is reported as such and the others still are.

#include <chrono>
#include <string>
#include <vector>

#include "entact/cluster/cluster_admin.hpp"
#include "entact/twopc.hpp"

namespace entact::apps {

/// What one live member answered.
struct member_prepared {
  std::string node_id;
  std::string address;
  /// False if it did not answer (`error` says why).
  bool answered = false;
  std::string error;
  /// Its prepared, undecided transactions, oldest first.
  std::vector<prepared_info> prepared;
};

/// Most members asked at once (each question has a client of its own).
constexpr size_t max_members_asked_at_once = 8;

/// Asks every member of `view` for its prepared transactions, each within
/// `deadline` for the connect and again for the call; in member order.
std::vector<member_prepared> ask_members(const cluster::cluster_view& view,
                                         std::chrono::milliseconds deadline);

} // namespace entact::apps
