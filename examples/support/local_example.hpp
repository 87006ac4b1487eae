// An example on an embedded engine: its command line, and the engine.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <caf/config_option_adder.hpp>

#include <entact/engine.hpp>

#include "support/command_line.hpp"
#include "support/temp_dir.hpp"

namespace example {

/// Where an example keeps its database and whether its writes wait for the
/// disk: `--path`, `--sync`, `--no-sync`.
struct storage_options {
  std::string path; // empty: a temporary directory, removed at exit
  bool sync = entact::engine_options{}.sync;
  bool no_sync = false; // on the command line a bool can only be turned on

  void add_to(caf::config_option_adder& add);

  bool synced() const {
    return sync && !no_sync;
  }
};

/// Opens an engine on `opts.path`, or on a fresh temporary directory
/// ("entact-`tag`-XXXXXX") made in `tmp`, its actor system built from
/// `cfg`. Nothing, after a message on stderr, if that directory cannot be
/// made or the engine cannot open (see `entact::engine::open`).
std::unique_ptr<entact::engine>
open_engine(const storage_options& opts, std::unique_ptr<entact::config> cfg,
            const std::string& tag, std::optional<temp_dir>& tmp);

/// What `main` of an example on an embedded engine starts with: `Options`
/// read from the command line (see `options_config`; `Options::storage`
/// is a `storage_options`), and the engine opened with them, on a database
/// that is removed at exit unless `--path` names one.
template <class Options>
class local_example {
public:
  /// Parses the command line of `prog` and opens the engine. If `main` must
  /// exit now (`--help`, bad usage, no engine), `exit_status` says how.
  local_example(const char* prog, int argc, char** argv) {
    auto cfg = std::make_unique<options_config<Options, entact::config>>();
    status_ = parse_command_line(*cfg, prog, argc, argv);
    if (status_)
      return;
    opts_ = cfg->opts; // a copy: the engine takes the config
    eng_ = open_engine(opts_.storage, std::move(cfg), prog, tmp_);
    if (!eng_)
      status_ = 1;
  }

  std::optional<int> exit_status() const {
    return status_;
  }

  const Options& opts() const {
    return opts_;
  }

  entact::engine& engine() {
    return *eng_;
  }

private:
  std::optional<int> status_;
  Options opts_;
  std::optional<temp_dir> tmp_; // before the engine: removed after it
  std::unique_ptr<entact::engine> eng_;
};

} // namespace example
