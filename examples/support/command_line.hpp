// The command line of an example, read by CAF's config system.
#pragma once

#include <optional>
#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/config_option_adder.hpp>

namespace example {

/// Exit status for bad usage (BSD's EX_USAGE), as entactd and entact use.
constexpr int bad_usage = 64;

/// Prints `what` as bad usage of `prog` and returns `bad_usage`.
int usage_error(const char* prog, const std::string& what);

/// A CAF config that also reads an example's options: `Options::add_to`
/// declares them (`void add_to(caf::config_option_adder&)`, in the group
/// "global", so they read as `--users=16`), and `Options::invalid` says
/// what CAF cannot check (`std::string invalid() const`, empty if fine).
template <class Options, class Base = caf::actor_system_config>
class options_config : public Base {
public:
  Options opts;

  options_config() {
    caf::config_option_adder add{this->custom_options_, "global"};
    opts.add_to(add);
  }
};

/// Parses the command line into `cfg` (`--users=16`, a flag as
/// `--no-sync`, or an ini file given with `--config-file=FILE`) and
/// line-buffers stdout, which keeps its lines in order with stderr's.
/// Returns the status `main` must exit with now: 0 once `--help` printed
/// the options, `bad_usage` for an unknown or malformed option or a stray
/// argument; nothing if the program goes on.
std::optional<int> parse_config(caf::actor_system_config& cfg,
                                const char* prog, int argc, char** argv);

/// `parse_config`, then `cfg.opts.invalid()`: bad usage unless empty.
template <class Options, class Base>
std::optional<int> parse_command_line(options_config<Options, Base>& cfg,
                                      const char* prog, int argc,
                                      char** argv) {
  if (auto status = parse_config(cfg, prog, argc, argv))
    return status;
  if (auto what = cfg.opts.invalid(); !what.empty())
    return usage_error(prog, what);
  return std::nullopt;
}

} // namespace example
