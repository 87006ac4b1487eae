#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "entact/engine.hpp"
#include "support/print.hpp"
#include "support/temp_dir.hpp"

namespace entact::test {

/// Owns a temporary directory and an engine opened on it. Tests adjust
/// `opts` and call `reopen()` to restart on the same directory.
struct engine_fixture {
  temp_dir dir;
  engine_options opts;
  std::unique_ptr<engine> eng;

  engine_fixture() {
    opts.path = dir.sub("db");
    opts.sync = false; // tests that need durability turn it on
    reopen();
  }

  void reopen() {
    eng.reset();
    auto e = engine::open(opts);
    if (!e)
      throw std::runtime_error("engine::open failed: " + to_string(e.error()));
    eng = std::move(*e);
  }

  engine& db() {
    return *eng;
  }
};

} // namespace entact::test
