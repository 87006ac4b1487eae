#pragma once

// Bringing entact to where a timed run starts: its records written, an
// engine open on them, and (unless --cold) every entity resident.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <entact/engine.hpp>

#include "systems/baselines.hpp"
#include "harness/config.hpp"
#include "harness/util.hpp"

namespace bench {

/// The value entity `i` starts with.
using initial_value = std::function<std::string(size_t)>;

/// Writes version 1 of every entity through entact's own store (unsynced,
/// large batches; not timed), then closes it. Without `value_of`, entity
/// `i` gets make_value(data.value_bytes, i), as the baselines' preload.
/// A new store at `path` is created with `partitions` (fixed from then on);
/// an existing one must have as many.
void preload_entact(const std::string& path, const dataset& data,
                    const initial_value& value_of = {},
                    size_t partitions = 1);

/// An engine on `path`, whose store must have `partitions` (or is created
/// with them); throws if it cannot open.
std::unique_ptr<entact::engine>
open_engine(const std::string& path, bool sync, size_t resident_cap = 100000,
            std::chrono::milliseconds idle = std::chrono::hours{1},
            entact::operation_map operations = {}, size_t partitions = 1);

/// Makes every entity resident (its actor spawned, its record loaded) with
/// untimed get()s, so timed runs measure steady state, not activation.
void activate_all(entact::database& eng, const dataset& data, bool enabled);

/// The usual start of an entact run: a fresh directory, `data` preloaded,
/// an engine on it and, unless --cold, every entity resident. The engine
/// closes before its directory is removed. A fresh directory for each, so
/// any partition count can be asked for.
class preloaded_engine {
public:
  preloaded_engine(const config& cfg, const dataset& data, bool sync,
                   const initial_value& value_of = {},
                   size_t partitions = 1);

  entact::engine& operator*() const {
    return *eng_;
  }
  entact::engine* operator->() const {
    return eng_.get();
  }

private:
  temp_dir dir_;
  std::unique_ptr<entact::engine> eng_;
};

} // namespace bench
