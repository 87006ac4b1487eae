#include "entact/register_types.hpp"

#include <vector>

#include "entact/conflict.hpp"
#include "entact/engine_stats.hpp"
#include "entact/errc.hpp"
#include "entact/interfaces.hpp"
#include "entact/modify_op.hpp"
#include "entact/record.hpp"
#include "entact/scan.hpp"
#include "entact/twopc.hpp"
#include "entact/txn.hpp"
#include "entact/watch_event.hpp"
#include "entact/write_op.hpp"

namespace entact {

void register_types(caf::actor_system_config& cfg) {
  // add_message_type<T> also registers std::vector<T>.
  cfg.add_message_type<op_kind>("entact::op_kind");
  cfg.add_message_type<record>("entact::record");
  cfg.add_message_type<write_op>("entact::write_op");
  cfg.add_message_type<modify_op>("entact::modify_op");
  cfg.add_message_type<conflict>("entact::conflict");
  cfg.add_message_type<engine_stats>("entact::engine_stats");
  cfg.add_message_type<txn_options>("entact::txn_options");
  cfg.add_message_type<txn_handle>("entact::txn_handle");
  cfg.add_message_type<txn_begun>("entact::txn_begun");
  cfg.add_message_type<txn_write>("entact::txn_write");
  cfg.add_message_type<txn_prepare>("entact::txn_prepare");
  cfg.add_message_type<twopc_outcome>("entact::twopc_outcome");
  cfg.add_message_type<prepared_info>("entact::prepared_info");
  cfg.add_message_type<watch_event>("entact::watch_event");
  cfg.add_message_type<scan_request>("entact::scan_request");
  cfg.add_message_type<scan_page>("entact::scan_page");
  cfg.add_error_category(error_category, render_error);
}

config::config() {
  register_types(*this);
}

} // namespace entact
