#pragma once

#include <memory>
#include <mutex>

#include "entact/cluster/shard_host.hpp"
#include "entact/engine.hpp"

namespace entact::cluster {

/// The `shard_host` of an entactd node: its engine's store, and a plain
/// client of the other node's front door for the copy (snapshot scans,
/// filtered by shard here: the scan has no shard filter).
///
/// Detaches itself from the engine when the engine closes (`on_close`), so
/// that the cluster thread never touches a closed store: later calls answer
/// `closed`.
class engine_shard_host : public shard_host,
                          public std::enable_shared_from_this<engine_shard_host> {
public:
  /// A host of `eng`, which must be open.
  static std::shared_ptr<engine_shard_host> make(engine& eng);

  caf::error pull_shard(uint32_t shard, uint32_t shards,
                        const std::string& address) override;

  caf::error fence_shards(const std::set<uint32_t>& fenced,
                          uint32_t shards) override;

  bool holds_prepared(uint32_t shard, uint32_t shards) override;

  std::chrono::milliseconds cache_lifetime() const override;

private:
  explicit engine_shard_host(engine& eng);
  void detach();

  mutable std::mutex mtx_;
  engine* eng_;
  std::chrono::milliseconds idle_timeout_;
  std::chrono::milliseconds request_timeout_;
};

} // namespace entact::cluster
