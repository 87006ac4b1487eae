#include "entact/cluster/engine_shard_host.hpp"

#include <optional>

#include "entact/client.hpp"
#include "entact/cluster/shard_hash.hpp"
#include "entact/errc.hpp"

namespace entact::cluster {

namespace {

caf::error closed() {
  return make_error(errc::closed, "the engine is closed");
}

// "host:port" (checked by validate_address when the member registered).
std::optional<std::pair<std::string, uint16_t>>
split_address(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos)
    return std::nullopt;
  auto port = std::stoul(address.substr(colon + 1));
  if (port == 0 || port > 65535)
    return std::nullopt;
  return std::make_pair(address.substr(0, colon),
                        static_cast<uint16_t>(port));
}

} // namespace

std::shared_ptr<engine_shard_host> engine_shard_host::make(engine& eng) {
  std::shared_ptr<engine_shard_host> host{new engine_shard_host(eng)};
  std::weak_ptr<engine_shard_host> weak = host;
  eng.on_close([weak] {
    if (auto h = weak.lock())
      h->detach();
  });
  return host;
}

engine_shard_host::engine_shard_host(engine& eng)
  : eng_(&eng),
    idle_timeout_(eng.options().idle_timeout),
    request_timeout_(eng.options().request_timeout) {
}

void engine_shard_host::detach() {
  // Waits for a call under way: the store outlives it.
  std::lock_guard<std::mutex> guard{mtx_};
  eng_ = nullptr;
}

caf::error engine_shard_host::pull_shard(uint32_t shard, uint32_t shards,
                                         const std::string& address) {
  auto where = split_address(address);
  if (!where)
    return make_error(errc::invalid_argument, "bad address " + address);
  client_options opts;
  opts.host = where->first;
  opts.port = where->second;
  opts.request_timeout = request_timeout_;
  auto source = connect(opts);
  if (!source)
    return source.error();
  scan_request req;
  req.limit = static_cast<uint32_t>(limits{}.max_scan_records);
  req.include_deleted = true; // a tombstone keeps its version
  for (;;) {
    auto page = (*source)->scan(req);
    if (!page)
      return page.error();
    std::vector<record> mine;
    for (auto& r : page->records)
      if (shard_of(r.id, shards) == shard)
        mine.push_back(std::move(r));
    if (!mine.empty()) {
      std::lock_guard<std::mutex> guard{mtx_};
      if (eng_ == nullptr)
        return closed();
      auto n = eng_->install(mine);
      if (!n)
        return n.error();
    }
    if (!page->next_after)
      return {};
    req.after = std::move(*page->next_after);
  }
}

caf::error engine_shard_host::fence_shards(const std::set<uint32_t>& fenced,
                                           uint32_t shards) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (eng_ == nullptr)
    return closed();
  if (fenced.empty())
    return eng_->fence(nullptr);
  return eng_->fence([fenced, shards](const entity_id& id) {
    return fenced.count(shard_of(id, shards)) != 0;
  });
}

bool engine_shard_host::holds_prepared(uint32_t shard, uint32_t shards) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (eng_ == nullptr)
    return false;
  return eng_->holds_prepared([shard, shards](const entity_id& id) {
    return shard_of(id, shards) == shard;
  });
}

std::chrono::milliseconds engine_shard_host::cache_lifetime() const {
  return idle_timeout_;
}

} // namespace entact::cluster
