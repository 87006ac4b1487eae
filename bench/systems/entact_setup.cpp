#include "systems/entact_setup.hpp"

#include <atomic>
#include <iostream>
#include <stdexcept>
#include <vector>

#include <entact/storage/store.hpp>

#include "systems/drivers.hpp"
#include "harness/format.hpp"

namespace bench {

void preload_entact(const std::string& path, const dataset& data,
                    const initial_value& value_of, size_t partitions) {
  entact::storage::store_options opts;
  opts.path = path;
  opts.sync = false;
  opts.partitions = partitions;
  auto st = entact::storage::store::open(opts);
  if (!st)
    throw std::runtime_error("store open: " + caf::to_string(st.error()));
  std::vector<entact::write_op> batch;
  for (size_t i = 0; i < data.size(); ++i) {
    batch.push_back(entact::write_op::create(
      data.ids[i], value_of ? value_of(i) : make_value(data.value_bytes, i)));
    if (batch.size() == 1000 || i + 1 == data.size()) {
      auto r = (*st)->commit(std::move(batch));
      if (!r)
        throw std::runtime_error("preload: " + caf::to_string(r.error()));
      batch.clear();
    }
  }
}

std::unique_ptr<entact::engine>
open_engine(const std::string& path, bool sync, size_t resident_cap,
            std::chrono::milliseconds idle,
            entact::operation_map operations, size_t partitions) {
  entact::engine_options opts;
  opts.path = path;
  opts.sync = sync;
  opts.partitions = partitions;
  opts.resident_cap = resident_cap;
  opts.idle_timeout = idle;
  opts.operations = std::move(operations);
  auto eng = entact::engine::open(opts);
  if (!eng)
    throw std::runtime_error("engine open: " + caf::to_string(eng.error()));
  return std::move(*eng);
}

void activate_all(entact::database& eng, const dataset& data, bool enabled) {
  if (!enabled)
    return;
  auto t0 = clock::now();
  std::atomic<size_t> bad{0};
  parallel_for(8, data.size(), [&](size_t i) {
    if (!eng.get(data.ids[i]))
      ++bad;
  });
  if (bad > 0)
    throw std::runtime_error("activation: " + std::to_string(bad.load())
                             + " gets failed");
  std::cout << "  (activated " << data.size() << " entities in "
            << fmt(seconds_since(t0), 1) << " s, untimed)" << std::endl;
}

preloaded_engine::preloaded_engine(const config& cfg, const dataset& data,
                                   bool sync, const initial_value& value_of,
                                   size_t partitions)
  : dir_(cfg.dir, "entact-bench") {
  preload_entact(dir_.path() + "/db", data, value_of, partitions);
  eng_ = open_engine(dir_.path() + "/db", sync, 100000,
                     std::chrono::hours{1}, {}, partitions);
  activate_all(*eng_, data, !cfg.cold);
}

} // namespace bench
