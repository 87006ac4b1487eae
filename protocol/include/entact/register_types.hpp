#pragma once

#include <caf/actor_system_config.hpp>

namespace entact {

/// Registers every type of entact's wire contract and its error category.
/// Every node (embedded engine, server, client) calls it on its config
/// before building the `caf::actor_system`.
void register_types(caf::actor_system_config& cfg);

/// An `actor_system_config` with entact's types already registered.
class config : public caf::actor_system_config {
public:
  config();
};

} // namespace entact
